import Foundation
import Testing

@testable import SpasmDetection

@Suite("EMG detector on synthetic signals")
struct EMGDetectorTests {
    static let quiet = 0.005  // mV, quiet noise floor

    @Test("a 5 s activation at 10× baseline is one tonic episode", arguments: [500.0, 1000.0, 2000.0])
    func tonic(rate: Double) {
        var f = SignalFactory(seed: 31)
        let x = f.emg(rate: rate, seconds: 30, sigma: { t in Self.quiet * (1 + 9 * window(t, from: 10, to: 15, ramp: 0.05)) })
        let out = run(.emg, rate: rate, x, frame: 500)
        #expect(protocolViolation(out) == nil)
        let on = onsets(out)
        #expect(on.map(\.kind) == [.tonic])
        if let o = on.first {
            #expect(abs(o.start - 10) < 0.3)
            #expect(o.detectedAt <= 10 + 2.5)
            #expect(o.detectedAt >= 10 + 1.5)
        }
        if let e = ends(out).first {
            #expect(abs(e.end - 15) < 0.5)
            #expect(e.peak > 5 * Self.quiet)
        }
    }

    @Test("bursting at 5 Hz is clonus, not tonic", arguments: [500.0, 1000.0, 2000.0])
    func clonus(rate: Double) {
        var f = SignalFactory(seed: 32)
        let x = f.emg(
            rate: rate, seconds: 30,
            sigma: { t in
                let on = t.truncatingRemainder(dividingBy: 0.2) < 0.08 ? 1.0 : 0.0
                return Self.quiet * (1 + 14 * on * window(t, from: 10, to: 16, ramp: 0.01))
            })
        let out = run(.emg, rate: rate, x, frame: 500)
        #expect(protocolViolation(out) == nil)
        #expect(onsets(out).map(\.kind) == [.clonus])
        if let e = ends(out, .clonus).first { #expect(abs((e.dominantFrequencyHz ?? 0) - 5) < 0.5) }
    }

    @Test("voluntary 0.5 s contractions, 50 Hz hum and a drifting floor produce nothing", arguments: [500.0, 1000.0, 2000.0])
    func confounders(rate: Double) {
        var f = SignalFactory(seed: 33)
        let x = f.emg(
            rate: rate, seconds: 120,
            sigma: { t in
                let floor = Self.quiet * (1 + 0.5 * sin(2 * .pi * t / 90))  // drifting noise floor
                let phase = t.truncatingRemainder(dividingBy: 4)
                let contraction = phase > 2 && phase < 2.5 ? 20.0 : 0  // 0.5 s voluntary, every 4 s
                return floor * (1 + contraction)
            },
            extra: { t in
                (t > 30 && t < 60 ? 0.05 : 0.005) * sin(2 * .pi * 50 * t)  // mains hum switching on: 7× the floor
                    + 0.03 * sin(2 * .pi * 0.7 * t)  // motion artefact < 10 Hz
            })
        let out = run(.emg, rate: rate, x, frame: 500)
        #expect(out.isEmpty, "confounders produced \(onsets(out).map(\.kind))")
    }

    @Test("a gap with a DC jump across it produces nothing")
    func gap() {
        var f = SignalFactory(seed: 34)
        let a = f.emg(rate: 1000, seconds: 10, sigma: { _ in Self.quiet })
        let b = f.emg(rate: 1000, seconds: 10, sigma: { _ in Self.quiet }, extra: { _ in 0.3 })
        var d = StreamingDetector(kind: .emg, sampleRate: 1000)
        var out = d.process(startTime: 0, samples: a)
        out += d.process(startTime: 10.6, samples: b)
        out += d.finish()
        #expect(out.isEmpty)
        #expect(d.gapCount == 1)
    }

    @Test("array and pointer entry points agree; onset and end share one id")
    func entryPointsAndIds() {
        var f = SignalFactory(seed: 35)
        let x = f.emg(rate: 1000, seconds: 20, sigma: { t in Self.quiet * (1 + 9 * window(t, from: 5, to: 9, ramp: 0.05)) })
        var d1 = StreamingDetector(kind: .emg, sampleRate: 1000)
        var d2 = d1
        let o1 = d1.process(startTime: 0, samples: x) + d1.finish()
        let o2 = x.withUnsafeBufferPointer { d2.process(startTime: 0, samples: $0) } + d2.finish()
        #expect(o1.count == 2)
        #expect(o1.map(\.kind) == o2.map(\.kind))
        #expect(Set(o1.map(\.id)).count == 1)
    }

    @Test("a strong voluntary contraction followed by quiet leaves no phantom clonus or tonic")
    func noPhantomAfterContraction() {
        var f = SignalFactory(seed: 36)
        let x = f.emg(
            rate: 1000, seconds: 30,
            sigma: { t in
                Self.quiet * (1 + 60 * window(t, from: 10, to: 10.7, ramp: 0.05) + 0.3 * sin(2 * .pi * 4 * t))
            })
        let out = run(.emg, rate: 1000, x, frame: 250)
        #expect(out.isEmpty)
    }

    @Test("60 Hz mains switching on is removed when configured (and would look like tonic activation otherwise)")
    func mains60() {
        var s = DetectorSettings()
        s.mainsHz = 60
        var f = SignalFactory(seed: 37)
        let x = f.emg(
            rate: 1000, seconds: 30, sigma: { _ in Self.quiet },
            extra: { t in t > 10 && t < 20 ? 0.05 * sin(2 * .pi * 60 * t) : 0 })
        #expect(run(.emg, rate: 1000, x, settings: s).isEmpty)
        #expect(onsets(run(.emg, rate: 1000, x), .tonic).count == 1)  // the 50 Hz notch does not remove 60 Hz
    }
}
