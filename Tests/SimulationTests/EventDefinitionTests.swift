import Foundation
import Testing

@testable import SpasmSimulation

/// Labels must meet BRIEF §2 exactly, and confounders must never meet it.
@Suite("Event definitions")
struct EventDefinitionTests {
    static let imuCases: [(Double, SimulatedPlacement, UInt64)] = [(25, .wrist, 21), (50, .ankle, 22), (200, .wrist, 23)]

    @Test(arguments: imuCases)
    func imuLabelsMatchInjectedSignal(rate: Double, placement: SimulatedPlacement, seed: UInt64) throws {
        var s = SimulationScenario.demo(kind: .imu, seed: seed)
        s.sampleRate = rate
        s.placement = placement
        s.durationSeconds = 900
        s.eventsPerHour = EventRates(phasic: 40, clonus: 30, fall: 20)
        s.noiseLevel = 2
        let r = Collected(s, seconds: 900, truth: true)
        let truth = try #require(r.truth)
        let mags = r.magnitudes
        let kinds = Set(r.events.map(\.kind))
        #expect(kinds == [.phasic, .clonus, .fall])
        // Events never overlap and are ≥ 4 s apart.
        for (a, b) in zip(r.events, r.events.dropFirst()) { #expect(b.start - a.end >= 4 - 1e-6) }
        let falls = fallPatterns(times: r.times, magnitudes: mags)
        for e in r.events {
            let lo = Int((e.start * rate).rounded())
            let hi = Int((e.end * rate).rounded())
            let dyn = truth.dynamic[lo..<min(hi, truth.dynamic.count)]
            switch e.kind {
            case .phasic:
                #expect((dyn.max() ?? 0) >= 1.2, "phasic at \(e.start) peaks \(dyn.max() ?? 0)")
                // Each jerk (run of dynamic ≥ 0.3 g over the walking floor) lasts ≤ 0.5 s.
                #expect(Double(longestRun(Array(dyn)) { $0 >= 0.5 }) / rate <= 0.5)
                #expect(!falls.contains { $0 >= e.start - 0.5 && $0 <= e.end + 0.5 })
            case .clonus:
                #expect(e.duration >= 2.5)
                let plateau = truth.dynamic[(lo + Int(0.3 * rate))..<(hi - Int(0.3 * rate))]
                #expect((plateau.max() ?? 0) >= 0.25)
                #expect((plateau.max() ?? 9) <= 1.5)
            case .fall:
                #expect(falls.contains { $0 >= e.start - 0.05 && $0 <= e.end }, "fall at \(e.start) has no pattern")
            case .tonic:
                Issue.record("tonic on an IMU")
            }
        }
        // Every fall pattern in the data belongs to a fall label.
        for f in falls { #expect(r.events.contains { $0.kind == .fall && f >= $0.start - 0.05 && f <= $0.end }) }
    }

    @Test(arguments: [(SimulatedPlacement.wrist, 25.0, UInt64(31)), (.ankle, 100, 32), (.calf, 200, 33)])
    func imuConfoundersNeverMeetADefinition(placement: SimulatedPlacement, rate: Double, seed: UInt64) throws {
        var s = SimulationScenario.confounders(kind: .imu, seed: seed)
        s.placement = placement
        s.sampleRate = rate
        s.durationSeconds = 1800
        s.amplitudeScale = 1.5
        s.noiseLevel = 3
        let r = Collected(s, seconds: 1800, truth: true)
        let truth = try #require(r.truth)
        #expect(r.events.isEmpty)
        #expect(fallPatterns(times: r.times, magnitudes: r.magnitudes).isEmpty)
        // All activity kinds occur.
        #expect(Set(truth.activity).isSuperset(of: [0, 1, 2, 3, 4]))
        for (k, code) in truth.activity.enumerated() {
            let d = truth.dynamic[k]
            switch code {
            case 1:
                if d > 0.45 + 1e-4 {
                    Issue.record("walking \(d) g at \(k)")
                    return
                }
            case 2:
                if d > 0.5 || truth.omega[k] > 2.5 + 1e-3 {
                    Issue.record("gesture \(d) g \(truth.omega[k]) rad/s")
                    return
                }
            case 3:
                if d > 0.7 {
                    Issue.record("set-down \(d) g")
                    return
                }
            case 4:
                if d > 0.35 + 1e-4 {
                    Issue.record("vibration \(d) g")
                    return
                }
            case 0:
                if d > 1e-6 {
                    Issue.record("rest has dynamic \(d)")
                    return
                }
            default:
                Issue.record("event code \(code) in confounder data")
                return
            }
        }
    }

    @Test(arguments: [(500.0, SimulatedPlacement.calf, UInt64(41)), (1000, .quadriceps, 42)])
    func emgLabelsMatchInjectedSignal(rate: Double, placement: SimulatedPlacement, seed: UInt64) throws {
        var s = SimulationScenario.demo(kind: .emg, seed: seed)
        s.sampleRate = rate
        s.placement = placement
        s.durationSeconds = 900
        let r = Collected(s, seconds: 900, chunk: 500, truth: true)
        let truth = try #require(r.truth)
        #expect(Set(r.events.map(\.kind)) == [.tonic, .clonus])
        for e in r.events {
            let lo = Int((e.start * rate).rounded())
            let hi = Int((e.end * rate).rounded())
            #expect(e.duration >= 2.5)
            let inner = Array(truth.dynamic[(lo + Int(0.45 * rate))..<(hi - Int(0.45 * rate))])
            if e.kind == .tonic {
                #expect((inner.min() ?? 0) >= 5, "tonic at \(e.start) min ratio \(inner.min() ?? 0)")
            } else {
                // Bursting: the activation crosses 5× quiet RMS at 3–8 rising edges per second.
                var edges = 0
                for k in 1..<inner.count where inner[k] >= 5 && inner[k - 1] < 5 { edges += 1 }
                let perSecond = Double(edges) / (Double(inner.count) / rate)
                #expect(perSecond >= 2.5 && perSecond <= 8.5, "clonus at \(e.start): \(perSecond) bursts/s")
            }
        }
        // Outside events, activation never stays ≥ 5× for 2 s.
        var outside = truth.dynamic
        for e in r.events {
            for k in Int(e.start * rate)..<min(Int(e.end * rate) + 1, outside.count) { outside[k] = 0 }
        }
        #expect(Double(longestRun(outside) { $0 >= 5 }) / rate < 1.0)
    }

    @Test func emgConfoundersHaveNoEventsAndShortActivations() throws {
        var s = SimulationScenario.confounders(kind: .emg, seed: 51)
        s.durationSeconds = 1800
        s.sampleRate = 500
        let r = Collected(s, seconds: 1800, chunk: 500, truth: true)
        let truth = try #require(r.truth)
        #expect(r.events.isEmpty)
        #expect(truth.activity.contains(20) && truth.activity.contains(21))  // contractions and artefacts happened
        #expect(Double(longestRun(truth.dynamic) { $0 >= 5 }) / 500 < 0.8)
        // Measured: the quiet RMS drifts but stays in a sensible band (mV).
        var sumsq = 0.0
        for k in 0..<min(r.samples.count, 5000) { sumsq += Double(r.samples[k] * r.samples[k]) }
        let rms = (sumsq / 5000).squareRoot()
        #expect(rms > 0.002 && rms < 0.05)
    }
}
