import Foundation
import Testing

@testable import SpasmDetection

/// A watch's signal (25 Hz, int16 in mg, ±4 g that clips, a bias of a few hundredths of a g,
/// a scale error of a few per cent) while the person walks. Issue 15: weak clonus during
/// walking on 25 Hz watches were missed where their frequency sits a little off a gait
/// harmonic (4.25 Hz at a 2 Hz gait), where the gait canceller passes on little of them.
@Suite("Clonus while walking, on a watch")
struct WalkingClonusTests {
    static func watch(
        seconds: Double, gaitHz: Double, seed: UInt64,
        clonus: (from: Double, to: Double, hz: Double, g: Double)?
    ) -> [Float] {
        var f = SignalFactory(seed: seed)
        let rate = 25.0
        let bias: (Float, Float, Float) = (-0.028, 0.004, 0.032)
        let scale: Float = 1.024
        let raw = f.imu(rate: rate, seconds: seconds, gravity: (0.2, -0.3, 0.93)) { t in
            let w = 2 * Double.pi * gaitHz * t
            var a = (
                0.25 * sin(w) + 0.1 * sin(2 * w + 0.5), 0.08 * sin(w + 1),
                0.2 * sin(w + 0.4) + 0.13 * sin(2 * w) + 0.06 * sin(3 * w + 0.3)
            )
            if let c = clonus {
                let v = c.g * sin(2 * .pi * c.hz * t) * window(t, from: c.from, to: c.to)
                a.0 += 0.8 * v
                a.2 += 0.6 * v
            }
            return a
        }
        // what the watch sends: scale and bias, clipped at ±4 g, whole milli-g
        return raw.enumerated().map { i, v in
            let b = i % 3 == 0 ? bias.0 : (i % 3 == 1 ? bias.1 : bias.2)
            return (max(-4, min(4, v * scale + b)) * 1000).rounded() / 1000
        }
    }

    @Test("a 0.22 g clonus at 4.25 Hz while walking at 2 Hz is one clonus", arguments: [(2.0, 4.25), (2.3, 7.25)])
    func nearHarmonicClonus(gait: Double, clonusHz: Double) {
        let x = Self.watch(seconds: 70, gaitHz: gait, seed: 31, clonus: (30, 37, clonusHz, 0.22))
        let out = run(.imu, rate: 25, x, frame: 25)
        #expect(protocolViolation(out) == nil)
        let found = onsets(out)
        #expect(found.map(\.kind) == [.clonus], "\(found.map { "\($0.kind)@\($0.start)" })")
        if let c = found.first { #expect(abs(c.start - 30) < 1.5 && c.detectedAt < 37, "\(c)") }
    }

    @Test("walking alone on the same watch is nothing", arguments: [1.6, 2.0, 2.3])
    func walkingAlone(gait: Double) {
        let x = Self.watch(seconds: 180, gaitHz: gait, seed: 32, clonus: nil)
        let out = run(.imu, rate: 25, x, frame: 25)
        #expect(out.isEmpty, "walking at \(gait) Hz produced \(onsets(out).map(\.kind))")
    }
}
