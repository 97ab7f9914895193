import Foundation

/// Deterministic surface-EMG-like noise (mV) for tests that need detection to fire: Gaussian
/// samples whose standard deviation the caller chooses (quiet ≈ 0.005 mV, a tonic
/// contraction ≈ 10× that).
public struct EMGNoise: Sendable {
    var state: UInt64

    public init(seed: UInt64 = 1) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }

    /// One sample with standard deviation `sigma` (Box–Muller).
    public mutating func sample(_ sigma: Double) -> Float {
        let u1 = max(uniform(), 1e-12)
        let u2 = uniform()
        return Float(sigma * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }

    /// `count` samples with standard deviation `sigma`.
    public mutating func samples(_ count: Int, sigma: Double) -> [Float] {
        (0..<count).map { _ in sample(sigma) }
    }
}
