import Foundation

/// Second-order IIR section (RBJ cookbook, transposed direct form II), Float state.
struct Biquad: Sendable {
    let b0: Float, b1: Float, b2: Float, a1: Float, a2: Float
    var z1: Float = 0, z2: Float = 0

    /// Low-pass at `cutoff` Hz with quality `q` (0.7071 = Butterworth).
    static func lowPass(cutoff: Double, rate: Double, q: Double) -> Biquad {
        let w = 2 * Double.pi * cutoff / rate, c = cos(w), alpha = sin(w) / (2 * q), a0 = 1 + alpha
        return Biquad(b0: Float((1 - c) / 2 / a0), b1: Float((1 - c) / a0), b2: Float((1 - c) / 2 / a0),
                      a1: Float(-2 * c / a0), a2: Float((1 - alpha) / a0))
    }

    /// High-pass at `cutoff` Hz with quality `q`.
    static func highPass(cutoff: Double, rate: Double, q: Double) -> Biquad {
        let w = 2 * Double.pi * cutoff / rate, c = cos(w), alpha = sin(w) / (2 * q), a0 = 1 + alpha
        return Biquad(b0: Float((1 + c) / 2 / a0), b1: Float(-(1 + c) / a0), b2: Float((1 + c) / 2 / a0),
                      a1: Float(-2 * c / a0), a2: Float((1 - alpha) / a0))
    }

    init(b0: Float, b1: Float, b2: Float, a1: Float, a2: Float) {
        self.b0 = b0; self.b1 = b1; self.b2 = b2; self.a1 = a1; self.a2 = a2
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float {
        let y = b0 * x + z1
        z1 = b1 * x - a1 * y + z2
        z2 = b2 * x - a2 * y
        return y
    }
}

/// The EMG band: 4th-order Butterworth low-pass at min(420 Hz, 0.42 × rate) and a
/// 2nd-order Butterworth high-pass at 20 Hz, scaled to unit output RMS for white unit input.
struct EMGBandFilter: Sendable {
    var lpA: Biquad, lpB: Biquad, hp: Biquad
    let gain: Float

    init(rate: Double) {
        let fc = min(420, 0.42 * rate)
        let a = Biquad.lowPass(cutoff: fc, rate: rate, q: 0.5412)
        let b = Biquad.lowPass(cutoff: fc, rate: rate, q: 1.3066)
        let h = Biquad.highPass(cutoff: 20, rate: rate, q: 0.7071)
        // Calibrate the gain on a fixed stream (deterministic), then start from rest.
        var pa = a, pb = b, ph = h
        var cal = SimRandom(seed: 0x5EED)
        var ss = 0.0
        let n = 40_000
        for k in 0..<n {
            let y = ph.process(pb.process(pa.process(cal.gaussian4().0)))
            if k >= 2000 { ss += Double(y * y) }
        }
        lpA = a; lpB = b; hp = h
        gain = Float(1 / (ss / Double(n - 2000)).squareRoot())
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float { hp.process(lpB.process(lpA.process(x))) * gain }
}
