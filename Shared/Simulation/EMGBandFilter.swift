import Foundation
import SpasmSignal

/// The EMG band: 4th-order Butterworth low-pass at min(420 Hz, 0.42 × rate) and a
/// 2nd-order Butterworth high-pass at 20 Hz, scaled to unit output RMS for white unit input.
struct EMGBandFilter: Sendable {
    var lpA: Biquad<Float>, lpB: Biquad<Float>, hp: Biquad<Float>
    let gain: Float

    init(rate: Double) {
        let fc = min(420, 0.42 * rate)
        let a = Biquad<Float>.lowPass(fc, fs: rate, q: 0.5412)
        let b = Biquad<Float>.lowPass(fc, fs: rate, q: 1.3066)
        let h = Biquad<Float>.highPass(20, fs: rate, q: 0.7071)
        // Calibrate the gain on a fixed stream (deterministic), then start from rest.
        var pa = a
        var pb = b
        var ph = h
        var cal = SimRandom(seed: 0x5EED)
        var ss = 0.0
        let n = 40_000
        for k in 0..<n {
            let y = ph.step(pb.step(pa.step(cal.gaussian4().0)))
            if k >= 2000 { ss += Double(y * y) }
        }
        lpA = a
        lpB = b
        hp = h
        gain = Float(1 / (ss / Double(n - 2000)).squareRoot())
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float { hp.step(lpB.step(lpA.step(x))) * gain }
}
