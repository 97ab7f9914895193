import Foundation

@testable import SpasmSimulation

/// Runs a simulator to the end of its scenario (or `seconds`), collecting everything.
struct Collected {
    var times: [Double] = []
    var samples: [Float] = []
    var events: [TruthEvent] = []
    var gapFlags = 0
    var channels = 1
    var truth: TruthLog?
    var rate: Double = 0

    init(_ scenario: SimulationScenario, seconds: Double, chunk: Int = 64, truth: Bool = false) {
        var sim = SignalSimulator(scenario: scenario)
        if truth { sim.enableTruthLog() }
        channels = sim.channelCount
        rate = sim.sampleRate
        let limit = seconds
        while sim.currentTime < limit && !sim.isFinished {
            let c = sim.nextChunk(count: chunk)
            if c.gapBefore { gapFlags += 1 }
            for k in 0..<c.count { times.append(c.startTime + Double(k) / sim.sampleRate) }
            samples += c.samples
            events += c.newEvents
        }
        self.truth = sim.truthLog
    }

    /// |a| per emitted instant (IMU).
    var magnitudes: [Double] {
        stride(from: 0, to: samples.count, by: 3).map {
            let x = Double(samples[$0])
            let y = Double(samples[$0 + 1])
            let z = Double(samples[$0 + 2])
            return (x * x + y * y + z * z).squareRoot()
        }
    }

    /// Sample-instant index on the undropped timeline for emitted sample k.
    func instant(_ k: Int) -> Int { Int((times[k] * rate).rounded()) }
}

/// Start times of the BRIEF fall pattern (|a| < 0.5 g for ≥ 100 ms, then > 2.5 g within 1 s).
func fallPatterns(times: [Double], magnitudes m: [Double]) -> [Double] {
    var out: [Double] = []
    var i = 0
    let period = times.count > 1 ? times[1] - times[0] : 0.01
    while i < m.count {
        if m[i] < 0.5 {
            var j = i
            while j + 1 < m.count && m[j + 1] < 0.5 { j += 1 }
            if Double(j - i + 1) * period >= 0.1 - 1e-9 {
                var k = j + 1
                while k < m.count && times[k] <= times[j] + 1 {
                    if m[k] > 2.5 {
                        out.append(times[i])
                        break
                    }
                    k += 1
                }
            }
            i = j + 1
        } else {
            i += 1
        }
    }
    return out
}

/// Longest run (in samples) where `predicate` holds.
func longestRun<T>(_ xs: [T], where predicate: (T) -> Bool) -> Int {
    var best = 0
    var run = 0
    for x in xs {
        if predicate(x) {
            run += 1
            best = max(best, run)
        } else {
            run = 0
        }
    }
    return best
}
