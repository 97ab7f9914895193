import Foundation
import Testing

@testable import SpasmDetection

@Suite("IMU detector on synthetic signals")
struct IMUDetectorTests {
    @Test("a single jerk is one phasic episode, reported within a second", arguments: [25.0, 50.0, 100.0, 200.0])
    func phasicJerk(rate: Double) {
        var f = SignalFactory(seed: 11)
        let x = f.imu(rate: rate, seconds: 20) { t in (jerk(t, center: 10, peak: 2.0), 0, 0) }
        let out = run(.imu, rate: rate, x)
        #expect(protocolViolation(out) == nil)
        let on = onsets(out)
        #expect(on.count == 1)
        #expect(on.first?.kind == .phasic)
        if let o = on.first {
            #expect(abs(o.start - 9.9) < 0.3)
            #expect(o.detectedAt - o.start < 1.0)
        }
        let e = ends(out, .phasic)
        #expect(e.count == 1)
        #expect(e.first?.id == on.first?.id)
        #expect((e.first?.peak ?? 0) > 1.0)
    }

    @Test("jerks less than 1 s apart form one episode; 3 s apart form two")
    func phasicMerging() {
        var f = SignalFactory(seed: 12)
        let x = f.imu(rate: 100, seconds: 30) { t in
            (jerk(t, center: 5, peak: 2) + jerk(t, center: 5.7, peak: 1.8) + jerk(t, center: 15, peak: 2), 0, 0)
        }
        let out = run(.imu, rate: 100, x)
        #expect(protocolViolation(out) == nil)
        #expect(onsets(out, .phasic).count == 2)
        #expect(onsets(out).count == 2)
        let first = ends(out, .phasic).first
        #expect((first?.end ?? 0) > 5.7)
    }

    @Test("a 5 Hz clonus is one clonus episode ~2 s after it starts", arguments: [25.0, 50.0, 100.0, 200.0])
    func clonus(rate: Double) {
        var f = SignalFactory(seed: 13)
        let x = f.imu(rate: rate, seconds: 30) { t in
            (0.5 * window(t, from: 10, to: 16) * sin(2 * .pi * 5 * t), 0.2 * window(t, from: 10, to: 16) * sin(2 * .pi * 5 * t + 1), 0)
        }
        let out = run(.imu, rate: rate, x)
        #expect(protocolViolation(out) == nil)
        let on = onsets(out)
        #expect(on.count == 1)
        #expect(on.first?.kind == .clonus)
        if let o = on.first {
            #expect(abs(o.start - 10) < 1)
            #expect(o.detectedAt >= o.start + 1.5)
            #expect(o.detectedAt <= 10 + 2.5)
        }
        if let e = ends(out, .clonus).first {
            #expect(abs(e.end - 16) < 1.5)
            #expect(abs((e.dominantFrequencyHz ?? 0) - 5) < 0.5)
        } else {
            Issue.record("no clonus end")
        }
    }

    @Test("precedence: a strong clonus (peaks > 1 g) is not also phasic")
    func clonusNotPhasic() {
        var f = SignalFactory(seed: 14)
        let x = f.imu(rate: 100, seconds: 20) { t in (1.3 * window(t, from: 5, to: 12) * sin(2 * .pi * 6 * t), 0, 0) }
        let out = run(.imu, rate: 100, x)
        #expect(protocolViolation(out) == nil)
        #expect(onsets(out, .clonus).count == 1)
        #expect(onsets(out, .phasic).isEmpty)
    }

    @Test("a fall (free fall, then impact) is one fall and not phasic", arguments: [25.0, 50.0, 100.0, 200.0])
    func fall(rate: Double) {
        var f = SignalFactory(seed: 15)
        let x = f.imu(rate: rate, seconds: 20, gravity: (0, 0, 0), noise: 0.01) { t in
            if t >= 10 && t < 10.3 { return (0, 0, 0.2) }  // free fall: |a| ≈ 0.2 g
            if t >= 10.3 && t < 10.38 { return (0.5, 0, 3.8) }  // impact ≈ 3.8 g
            return (0, 0, 1)  // at rest
        }
        let out = run(.imu, rate: rate, x)
        #expect(protocolViolation(out) == nil)
        let on = onsets(out)
        #expect(on.map(\.kind) == [.fall])
        if let o = on.first {
            #expect(abs(o.start - 10) < 0.1)
            #expect(o.detectedAt < 10.5)
        }
    }

    @Test("a short dip without a long free fall is not a fall")
    func noFallWithoutFreeFall() {
        var f = SignalFactory(seed: 16)
        let x = f.imu(rate: 100, seconds: 20, gravity: (0, 0, 0)) { t in
            if t >= 10 && t < 10.04 { return (0, 0, 0.2) }
            if t >= 10.04 && t < 10.1 { return (0, 0, 3.0) }
            return (0, 0, 1)
        }
        #expect(onsets(run(.imu, rate: 100, x), .fall).isEmpty)
    }

    @Test("walking at 2 Hz with harmonics produces nothing", arguments: [25.0, 50.0, 100.0, 200.0])
    func walking(rate: Double) {
        var f = SignalFactory(seed: 17)
        let x = f.imu(rate: rate, seconds: 120) { t in
            let w = 2 * Double.pi * 1.9 * t
            // fundamental dominant, harmonics weaker; 0.5 g at most in all
            return (
                0.25 * sin(w) + 0.1 * sin(2 * w + 0.5),
                0.08 * sin(w + 1),
                0.2 * sin(w + 0.4) + 0.13 * sin(2 * w) + 0.06 * sin(3 * w + 0.3)
            )
        }
        let out = run(.imu, rate: rate, x)
        #expect(out.isEmpty, "walking produced \(onsets(out).map(\.kind))")
    }

    @Test("fine 12 Hz vibration produces nothing", arguments: [50.0, 100.0, 200.0])
    func vibration(rate: Double) {
        var f = SignalFactory(seed: 18)
        let x = f.imu(rate: rate, seconds: 60) { t in (0.15 * sin(2 * .pi * 12 * t), 0.1 * sin(2 * .pi * 12 * t + 1), 0) }
        #expect(run(.imu, rate: rate, x).isEmpty)
    }

    @Test("arm gestures (rotations at 2.5 rad/s) and setting a limb down produce nothing")
    func gesturesAndSettingDown() {
        var f = SignalFactory(seed: 19)
        let x = f.imu(rate: 100, seconds: 60, gravity: (0, 0, 0)) { t in
            // gravity vector rotating 90° back and forth at 2.5 rad/s, every 6 s
            let phase = t.truncatingRemainder(dividingBy: 6)
            let angle = phase < 0.63 ? 2.5 * phase : (phase < 1.26 ? 2.5 * (1.26 - phase) : 0)
            var a = (sin(angle), 0.0, cos(angle))
            // setting the limb down: a 0.6 g bump at 3 s of each cycle
            let bump = 0.6 * exp(-pow((phase - 3) / 0.05, 2))
            a.2 += bump
            return a
        }
        #expect(run(.imu, rate: 100, x).isEmpty)
    }

    @Test("a gap in the data (with an orientation change across it) produces no event")
    func gap() {
        var f = SignalFactory(seed: 20)
        let before = f.imu(rate: 50, seconds: 10) { _ in (0, 0, 0) }
        let after = f.imu(rate: 50, seconds: 10, gravity: (1, 0, 0)) { _ in (0, 0, 0) }
        var d = StreamingDetector(kind: .imu, sampleRate: 50)
        var out = d.process(startTime: 0, samples: before)
        out += d.process(startTime: 11.3, samples: after)  // 1.3 s dropped
        out += d.finish()
        #expect(out.isEmpty)
        #expect(d.gapCount == 1)
    }

    @Test("a gap inside a clonus ends the open episode at the gap")
    func gapInsideEpisode() {
        var f = SignalFactory(seed: 21)
        let x = f.imu(rate: 100, seconds: 10) { t in (0.5 * window(t, from: 2, to: 20) * sin(2 * .pi * 5 * t), 0, 0) }
        var d = StreamingDetector(kind: .imu, sampleRate: 100)
        var out = d.process(startTime: 0, samples: x)
        #expect(onsets(out, .clonus).count == 1)
        out += d.process(startTime: 12, samples: Array(repeating: Float(0), count: 3 * 100).enumerated().map { $0.offset % 3 == 2 ? 1 : 0 })
        #expect(protocolViolation(out) == nil)
        if let e = ends(out, .clonus).first { #expect(e.end <= 10) } else { Issue.record("clonus not ended at gap") }
    }

    @Test("frame size does not change what is detected")
    func frameInvariance() {
        var f = SignalFactory(seed: 22)
        let x = f.imu(rate: 100, seconds: 40) { t in
            (jerk(t, center: 5, peak: 2) + 0.5 * window(t, from: 15, to: 22) * sin(2 * .pi * 4 * t), 0, 0)
        }
        func summary(_ o: [DetectorOutput]) -> [String] {
            o.map {
                switch $0 {
                case .onset(let a): "on \(a.kind) " + String(format: "%.4f %.4f", a.start, a.detectedAt)
                case .end(let e): "end \(e.kind) " + String(format: "%.4f %.4f", e.start, e.end)
                }
            }
        }
        let a = summary(run(.imu, rate: 100, x, frame: 1))
        let b = summary(run(.imu, rate: 100, x, frame: 1000))
        #expect(a == b)
        #expect(a.count == 4)
    }

    /// Walking used by several tests: fundamental dominant, weaker harmonics, ≤ 0.5 g in all.
    static func walk(_ t: Double, f: Double = 1.9) -> (Double, Double, Double) {
        let w = 2 * Double.pi * f * t
        return (
            0.25 * sin(w) + 0.1 * sin(2 * w + 0.5), 0.08 * sin(w + 1),
            0.2 * sin(w + 0.4) + 0.13 * sin(2 * w) + 0.06 * sin(3 * w + 0.3)
        )
    }

    @Test("a rapid series of jerks (0.35 s apart) is one phasic episode, not clonus", arguments: [50.0, 100.0])
    func jerkSeries(rate: Double) {
        var f = SignalFactory(seed: 23)
        let x = f.imu(rate: rate, seconds: 20) { t in
            (jerk(t, center: 8, peak: 2) + jerk(t, center: 8.35, peak: 2.2) + jerk(t, center: 8.7, peak: 1.9), 0, 0)
        }
        let out = run(.imu, rate: rate, x)
        #expect(protocolViolation(out) == nil)
        #expect(onsets(out).map(\.kind) == [.phasic])
        if let e = ends(out).first { #expect(e.end > 8.7) }
    }

    @Test("a jerk during walking is phasic; the walking around it is nothing")
    func jerkWhileWalking() {
        var f = SignalFactory(seed: 24)
        let x = f.imu(rate: 100, seconds: 60) { t in
            var a = Self.walk(t)
            a.1 += jerk(t, center: 30, peak: 1.8)
            return a
        }
        let out = run(.imu, rate: 100, x)
        #expect(protocolViolation(out) == nil)
        let on = onsets(out)
        #expect(on.map(\.kind) == [.phasic])
        if let o = on.first {
            #expect(abs(o.start - 30) < 0.4)
            #expect(o.detectedAt - o.start < 1.5)
        }
    }

    @Test("a strong jerk does not leave a phantom rhythm behind")
    func noPhantomClonusAfterJerk() {
        var f = SignalFactory(seed: 25)
        let x = f.imu(rate: 100, seconds: 30) { t in
            var a = t > 12 ? Self.walk(t) : (0, 0, 0)
            a.0 += jerk(t, center: 10, peak: 3.0, width: 0.06)
            return a
        }
        let out = run(.imu, rate: 100, x)
        #expect(onsets(out, .clonus).isEmpty)
        #expect(onsets(out, .phasic).count == 1)
    }

    @Test("non-finite samples neither crash nor poison the filters")
    func nonFiniteSamples() {
        var f = SignalFactory(seed: 26)
        var x = f.imu(rate: 50, seconds: 30) { t in (jerk(t, center: 20, peak: 2), 0, 0) }
        x[3 * 100] = .nan
        x[3 * 101 + 1] = .infinity
        let out = run(.imu, rate: 50, x)
        #expect(protocolViolation(out) == nil)
        #expect(onsets(out).map(\.kind) == [.phasic])
    }

    @Test("time going backwards is handled as a gap")
    func backwardsTime() {
        var f = SignalFactory(seed: 27)
        let x = f.imu(rate: 50, seconds: 10) { _ in (0, 0, 0) }
        var d = StreamingDetector(kind: .imu, sampleRate: 50)
        var out = d.process(startTime: 100, samples: x)
        out += d.process(startTime: 0, samples: x)
        out += d.finish()
        #expect(out.isEmpty)
        #expect(d.gapCount == 1)
    }

    @Test("the sensitivity offset moves the thresholds: a 0.75 g jerk is found only when more sensitive")
    func sensitivityOffset() {
        var f = SignalFactory(seed: 28)
        let x = f.imu(rate: 100, seconds: 20) { t in (jerk(t, center: 10, peak: 0.75), 0, 0) }
        #expect(run(.imu, rate: 100, x).isEmpty)
        var s = DetectorSettings()
        s.sensitivityOffset = 1
        #expect(onsets(run(.imu, rate: 100, x, settings: s)).map(\.kind) == [.phasic])
    }
}
