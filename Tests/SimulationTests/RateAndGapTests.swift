import Foundation
import Testing

@testable import SpasmSimulation

@Suite("Rates and gaps")
struct RateAndGapTests {
    @Test(arguments: [(SensorKind.imu, 25.0), (.imu, 200.0), (.emg, 500.0), (.emg, 2000.0)])
    func rateIsHonoured(kind: SensorKind, rate: Double) {
        var s = SimulationScenario(kind: kind, sampleRate: rate, seed: 5, gapsPerHour: 0)
        s.eventsPerHour = .none
        var sim = SignalSimulator(scenario: s)
        #expect(sim.sampleRate == rate)
        #expect(sim.channelCount == kind.channels)
        var expected = 0.0
        for _ in 0..<20 {
            let c = sim.nextChunk(count: 37)
            #expect(c.samples.count == 37 * kind.channels)
            #expect(abs(c.startTime - expected) < 1e-9)
            #expect(!c.gapBefore)
            expected += 37 / rate
        }
    }

    @Test func outOfRangeRatesAreClamped() {
        #expect(SignalSimulator(scenario: SimulationScenario(kind: .imu, sampleRate: 1000)).sampleRate == 200)
        #expect(SignalSimulator(scenario: SimulationScenario(kind: .emg, sampleRate: 100)).sampleRate == 500)
    }

    @Test(arguments: SensorKind.allCases)
    func gapsMakeTheTimelineJump(kind: SensorKind) {
        var s = SimulationScenario.demo(kind: kind, seed: 11)
        s.gapsPerHour = 120
        s.durationSeconds = 600
        var sim = SignalSimulator(scenario: s)
        var expectedNext = 0.0
        var jumps = 0
        var events: [TruthEvent] = []
        var gapTimes: [(Double, Double)] = []
        while !sim.isFinished {
            let c = sim.nextChunk(count: Int(sim.sampleRate / 4))
            if c.gapBefore {
                #expect(c.startTime - expectedNext >= 0.2 - 1e-9)
                #expect(c.startTime - expectedNext <= 1.5 + 1e-9)
                gapTimes.append((expectedNext, c.startTime))
                jumps += 1
            } else {
                #expect(abs(c.startTime - expectedNext) < 1e-9)
            }
            events += c.newEvents
            expectedNext = c.startTime + Double(c.count) / sim.sampleRate
        }
        #expect(jumps >= 5)
        #expect(jumps == sim.gapCount)
        // No labelled event overlaps a hole in the data.
        for (a, b) in gapTimes { #expect(!events.contains { $0.start < b && $0.end > a }) }
    }
}
