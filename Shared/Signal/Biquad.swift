import Foundation

/// Second-order IIR section (transposed direct form II), RBJ-cookbook designs: the one
/// biquad of the project. Detection runs it in `Double`, the simulator in `Float`; the
/// coefficients are always designed in `Double` and then rounded to `Sample`.
/// Value type; O(1) per sample.
public struct Biquad<Sample: BinaryFloatingPoint & Sendable>: Sendable {
    public var b0: Sample = 1, b1: Sample = 0, b2: Sample = 0, a1: Sample = 0, a2: Sample = 0
    public var z1: Sample = 0, z2: Sample = 0

    @inlinable @inline(__always) public mutating func step(_ x: Sample) -> Sample {
        let y = b0 * x + z1
        z1 = b1 * x - a1 * y + z2
        z2 = b2 * x - a2 * y
        return y
    }

    @inlinable public mutating func reset() {
        z1 = 0
        z2 = 0
    }

    /// Set the state as if `x` had been the input forever (no start-up step).
    @inlinable public mutating func settle(at x: Sample) {
        // Steady-state output for constant input = DC gain * x.
        let dc = (b0 + b1 + b2) / (1 + a1 + a2)
        let y = dc * x
        z2 = b2 * x - a2 * y
        z1 = b1 * x - a1 * y + z2
    }

    @usableFromInline init(_ b0: Double, _ b1: Double, _ b2: Double, _ a0: Double, _ a1: Double, _ a2: Double) {
        self.b0 = Sample(b0 / a0)
        self.b1 = Sample(b1 / a0)
        self.b2 = Sample(b2 / a0)
        self.a1 = Sample(a1 / a0)
        self.a2 = Sample(a2 / a0)
    }

    public init() {}

    private static func w(_ f: Double, _ fs: Double) -> (cos: Double, sin: Double) {
        let f = min(f, 0.49 * fs)
        let w0 = 2 * Double.pi * f / fs
        return (cos(w0), sin(w0))
    }

    /// Low-pass at `f` Hz (at most 0.49 × `fs`) with quality `q` (0.7071 = Butterworth).
    public static func lowPass(_ f: Double, fs: Double, q: Double = 0.7071) -> Biquad {
        let (c, s) = w(f, fs)
        let al = s / (2 * q)
        return Biquad((1 - c) / 2, 1 - c, (1 - c) / 2, 1 + al, -2 * c, 1 - al)
    }

    /// High-pass at `f` Hz with quality `q`.
    public static func highPass(_ f: Double, fs: Double, q: Double = 0.7071) -> Biquad {
        let (c, s) = w(f, fs)
        let al = s / (2 * q)
        return Biquad((1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + al, -2 * c, 1 - al)
    }

    /// Notch at `f` Hz with quality `q`.
    public static func notch(_ f: Double, fs: Double, q: Double = 20) -> Biquad {
        let (c, s) = w(f, fs)
        let al = s / (2 * q)
        return Biquad(1, -2 * c, 1, 1 + al, -2 * c, 1 - al)
    }

    /// Magnitude response at `f` (for tests and gain compensation).
    public func gain(at f: Double, fs: Double) -> Double {
        let w = 2 * Double.pi * f / fs
        let (c1, s1, c2, s2) = (cos(w), sin(w), cos(2 * w), sin(2 * w))
        let (b0, b1, b2, a1, a2) = (Double(b0), Double(b1), Double(b2), Double(a1), Double(a2))
        let nr = b0 + b1 * c1 + b2 * c2
        let ni = -(b1 * s1 + b2 * s2)
        let dr = 1 + a1 * c1 + a2 * c2
        let di = -(a1 * s1 + a2 * s2)
        return ((nr * nr + ni * ni) / (dr * dr + di * di)).squareRoot()
    }
}
