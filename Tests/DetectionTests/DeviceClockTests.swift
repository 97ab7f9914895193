import Foundation
import Testing

@testable import SpasmDetection

/// What real devices' clocks do to a recording (issue 15): a phone's browser dates each
/// sample a few milliseconds early or late and stalls now and then for 50–100 ms; only a
/// longer pause is a gap in the data.
@Suite("Device clocks")
struct DeviceClockTests {
    /// A phone-like recording: ~60 Hz with ±5 ms jitter, a 50–100 ms stall every ~5 s,
    /// real pauses at `pauses` (start, seconds); the signal is `dynamic(t)` on gravity.
    static func phone(
        seconds: Double, seed: UInt64 = 7, pauses: [(Double, Double)] = [],
        dynamic: (Double) -> (Double, Double, Double) = { _ in (0, 0, 0) }
    ) -> Recording {
        var f = SignalFactory(seed: seed)
        var times: [Double] = []
        var values: [Float] = []
        var t = 0.0
        var nextStall = 3.0
        while t < seconds {
            // the time column is written to the millisecond, as in ../shared/eval/devices
            let written = (t * 1000).rounded() / 1000
            let d = dynamic(written)
            times.append(written)
            values += [
                Float(0.3 + d.0 + 0.01 * f.gaussian()), Float(-0.5 + d.1 + 0.01 * f.gaussian()),
                Float(-0.81 + d.2 + 0.01 * f.gaussian()),
            ]
            t += 1 / 60.0 + 0.005 * (2 * f.uniform() - 1)
            if t >= nextStall {
                t += 0.05 + 0.05 * f.uniform()
                nextStall = t + 4 + 2 * f.uniform()
            }
            for (at, length) in pauses where t >= at && t - at < 0.1 { t = at + length }
        }
        return Recording(kind: .imu, times: times, values: values, sampleRate: Recording.medianRate(times))
    }

    @Test("a phone's jittered 60 Hz clock and its short stalls are not gaps; a 0.8 s pause is one")
    func jitterIsNotAGap() {
        let quiet = Self.phone(seconds: 600, pauses: [(300, 0.8)])
        #expect(quiet.clockJitters)
        let (rows, gaps) = RecordingScanner.scanCountingGaps(quiet)
        #expect(gaps == 1, "the detector restarted its filters \(gaps) times in 10 minutes")
        #expect(rows.isEmpty, "\(rows)")
    }

    @Test("a clonus through the phone's stalls is one clonus, found within 2.3 s")
    func clonusThroughStalls() {
        // 5 Hz, 0.45 g, 30–38 s, with stalls every 4–6 s (one at least falls inside)
        let rec = Self.phone(seconds: 60, seed: 11) { t in (0.45 * sin(2 * .pi * 5 * t) * window(t, from: 30, to: 38), 0, 0) }
        let (rows, gaps) = RecordingScanner.scanCountingGaps(rec)
        #expect(gaps == 0)
        #expect(rows.map(\.kind) == [.clonus], "\(rows)")
        if let c = rows.first { #expect(c.detectedAt - 30 <= 2.3 && abs(c.start - 30) < 1, "\(c)") }
    }

    @Test("a steady clock is taken as it is, a jittering one is put on a uniform grid with its pauses kept")
    func steadyClock() {
        let times = (0..<200).map { (Double($0) / 52 * 1000).rounded() / 1000 }  // 52 Hz written to the ms
        let strap = Recording(kind: .imu, times: times, values: [Float](repeating: 0, count: 600), sampleRate: Recording.medianRate(times))
        #expect(!strap.clockJitters)
        #expect(strap.steadyClock().times == times)
        #expect(abs(strap.steadyClock().sampleRate - 52) < 0.002)

        let phone = Self.phone(seconds: 60, pauses: [(30, 0.8)]).steadyClock()
        let dt = 1 / phone.sampleRate
        let steps = zip(phone.times, phone.times.dropFirst()).map { $1 - $0 }
        #expect(steps.filter { abs($0 - dt) > 1e-9 }.count == 1)  // the pause
        #expect(steps.contains { $0 > 0.7 })
        #expect(abs(phone.sampleRate - 60) < 0.5)
        #expect(phone.values.count == 3 * phone.times.count)
    }

    @Test("EMG at the rails and electrode pops do not become a tonic spasm or a clonus")
    func emgRailsAndPops() {
        // 12-bit ADC over ±5 mV (2.44 µV steps), quiet 8 µV noise with baseline wander,
        // a pop (a step of 3 mV that decays in 50 ms) every 7 s and 0.3 s at the rail
        var f = SignalFactory(seed: 5)
        let rate = 1000.0
        let lsb = 10.0 / 4096
        let x = f.emg(rate: rate, seconds: 120, sigma: { _ in 0.008 }) { t in
            var v = 0.2 * sin(2 * .pi * 0.1 * t)
            let p = t.truncatingRemainder(dividingBy: 7)
            if t > 5, p < 0.3 { v += 3 * exp(-p / 0.05) }
            if t > 60 && t < 60.3 { v = 5 }
            return v
        }.map { Float((max(-5, min(5 - lsb, Double($0))) / lsb).rounded() * lsb) }
        let out = run(.emg, rate: rate, x, frame: 250)
        let kinds = out.compactMap { if case .onset(let o) = $0 { o.kind } else { nil } }
        #expect(kinds.isEmpty, "\(kinds)")
    }
}
