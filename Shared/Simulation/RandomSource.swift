import Foundation

/// Small, fast, seedable PRNG (xoshiro256**, seeded through SplitMix64). Value type, so a
/// copied simulator continues identically.
struct SimRandom: Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var x = seed &+ 0x9E37_79B9_7F4A_7C15
        func mix(_ x: inout UInt64) -> UInt64 {
            x = x &+ 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = mix(&x)
        s1 = mix(&x)
        s2 = mix(&x)
        s3 = mix(&x)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in the range.
    @inline(__always)
    mutating func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * uniform() }

    /// Exponential with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * log(1 - uniform()) }

    /// Fork an independent stream (for sub-generators).
    mutating func fork() -> SimRandom { SimRandom(seed: next()) }

    /// A random unit vector.
    mutating func unitVector() -> Vec3 {
        let z = uniform(-1...1)
        let a = uniform(0...(2 * Double.pi))
        let r = (1 - z * z).squareRoot()
        return Vec3(Float(r * cos(a)), Float(r * sin(a)), Float(z))
    }

    /// Four standard-normal Floats from one 64-bit draw (table lookup, no per-sample math).
    @inline(__always)
    mutating func gaussian4() -> (Float, Float, Float, Float) {
        let r = next()
        return GaussianTable.shared.values.withUnsafeBufferPointer { t in
            (t[Int(r & 0xFFFF)], t[Int((r >> 16) & 0xFFFF)], t[Int((r >> 32) & 0xFFFF)], t[Int(r >> 48)])
        }
    }
}

/// 65536 standard-normal quantiles (inverse CDF at midpoints), shuffled is unnecessary:
/// indexing with uniform random bits samples the distribution.
final class GaussianTable: Sendable {
    static let shared = GaussianTable()
    let values: [Float]
    private init() {
        var v = [Float](repeating: 0, count: 65536)
        // Box–Muller over a fixed stream: deterministic table, exact moments are fine.
        var r = SimRandom(seed: 0xC0FFEE)
        var i = 0
        while i < 65536 {
            let u1 = max(r.uniform(), 1e-300)
            let u2 = r.uniform()
            let m = (-2 * log(u1)).squareRoot()
            v[i] = Float(m * cos(2 * .pi * u2))
            v[i + 1] = Float(m * sin(2 * .pi * u2))
            i += 2
        }
        // Normalise to exactly zero mean and unit variance.
        let mean = v.reduce(0, +) / Float(v.count)
        var ss: Float = 0
        for j in 0..<v.count {
            v[j] -= mean
            ss += v[j] * v[j]
        }
        let sd = (ss / Float(v.count)).squareRoot()
        for j in 0..<v.count { v[j] /= sd }
        values = v
    }
}
