import Foundation
import Testing

@testable import SpasmSimulation

@Suite("Determinism and API")
struct DeterminismTests {
    @Test(arguments: SensorKind.allCases)
    func sameSeedSameStream(kind: SensorKind) {
        var s = SimulationScenario.demo(kind: kind, seed: 42)
        s.durationSeconds = 300
        let a = Collected(s, seconds: 300)
        let b = Collected(s, seconds: 300)
        let sameSamples = a.samples == b.samples
        let sameTimes = a.times == b.times
        #expect(sameSamples)
        #expect(sameTimes)
        #expect(a.events == b.events)
        #expect(!a.events.isEmpty)
        s.seed = 43
        let c = Collected(s, seconds: 300)
        let differs = c.samples != a.samples
        #expect(differs)
    }

    @Test(arguments: SensorKind.allCases)
    func chunkSizeDoesNotChangeSignalWithoutGaps(kind: SensorKind) {
        var s = SimulationScenario.demo(kind: kind, seed: 7)
        s.gapsPerHour = 0
        s.durationSeconds = 120
        let a = Collected(s, seconds: 120, chunk: 17)
        let b = Collected(s, seconds: 120, chunk: 500)
        let same = a.samples == b.samples
        #expect(same)
        #expect(a.events == b.events)
    }

    @Test func fillMatchesNextChunk() {
        let s = SimulationScenario.demo(kind: .imu, seed: 3)
        var a = SignalSimulator(scenario: s)
        var b = SignalSimulator(scenario: s)
        var buf = [Float](repeating: 0, count: 64 * 3)
        for _ in 0..<200 {
            let ca = a.nextChunk(count: 64)
            let cb = buf.withUnsafeMutableBufferPointer { b.fill($0) }
            let same = ca.samples == buf
            #expect(same)
            #expect(ca.startTime == cb.startTime && ca.gapBefore == cb.gapBefore && ca.newEvents == cb.newEvents)
            #expect(ca.count == 64 && cb.count == 64 && cb.samples.isEmpty)
        }
    }

    @Test func scenarioDecodesWithDefaultsAndRoundTrips() throws {
        let empty = try JSONDecoder().decode(SimulationScenario.self, from: Data("{}".utf8))
        #expect(empty == SimulationScenario())
        let emg = try JSONDecoder().decode(SimulationScenario.self, from: Data(#"{"kind":"emg","seed":9}"#.utf8))
        #expect(emg.kind == .emg && emg.sampleRate == 1000 && emg.seed == 9 && emg.placement == .calf)
        let demo = SimulationScenario.demo(kind: .imu)
        let back = try JSONDecoder().decode(SimulationScenario.self, from: JSONEncoder().encode(demo))
        #expect(back == demo)
        let ev = try JSONDecoder().decode(TruthEvent.self, from: Data(#"{"start":1,"end":2,"kind":"clonus"}"#.utf8))
        #expect(ev == TruthEvent(start: 1, end: 2, kind: .clonus))
    }

    @Test func boundedScenarioStopsAtDuration() {
        var s = SimulationScenario(kind: .emg, sampleRate: 500, durationSeconds: 10, gapsPerHour: 0)
        s.eventsPerHour = .none
        var sim = SignalSimulator(scenario: s)
        var n = 0
        while !sim.isFinished { n += sim.nextChunk(count: 333).count }
        #expect(n == 5000)
        #expect(sim.nextChunk(count: 10).count == 0)
    }
}
