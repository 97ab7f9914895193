import Foundation
import SpasmSignal
import Testing

/// The phone's jittered ~60 Hz becomes one unbroken uniform stream; only a real pause breaks it.
@Suite("Uniform resampling of jittered timestamps")
struct UniformResamplerTests {
    /// A browser's events: 16.7 ms apart, each up to ±6 ms off, in batches of 0.5 s.
    static func jittered(seconds: Double, from start: Double = 1_764_000_000, seed: UInt64 = 7) -> [Double] {
        var state = seed
        func random() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<Int(seconds * 60)).map { start + Double($0) / 60 + (random() - 0.5) * 0.012 }.sorted()
    }

    @Test func jitterNeverBreaksTheStreamAcrossBatches() {
        let times = Self.jittered(seconds: 30)
        var resampler = UniformResampler(rate: 60)
        var runs: [UniformResampler.Run] = []
        for batch in stride(from: 0, to: times.count, by: 30) {
            let t = Array(times[batch..<min(batch + 30, times.count)])
            let v = t.map { Float(($0 - times[0]).truncatingRemainder(dividingBy: 1)) }
            runs += resampler.add(times: t, x: v, y: v, z: v)
        }
        #expect(resampler.pauses == 0)
        // Each run starts exactly where the one before ended: no gap, no overlap.
        for (a, b) in zip(runs, runs.dropFirst()) {
            #expect(abs(b.firstSampleTime - (a.firstSampleTime + Double(a.count) / 60)) < 1e-6)
        }
        let total = runs.map(\.count).reduce(0, +)
        let span = times.last! - times.first!
        #expect(abs(Double(total) - span * 60) <= 1.5, "\(total) samples for \(span) s")
    }

    @Test func interpolatesBetweenTheRealTimestamps() {
        var resampler = UniformResampler(rate: 50)
        // A ramp sampled at uneven times: the uniform samples lie on the same ramp.
        let t = [0.0, 0.013, 0.041, 0.052, 0.088, 0.1].map { 1_764_000_000 + $0 }
        let v = t.map { Float(($0 - t[0]) * 10) }
        let runs = resampler.add(times: t, x: v, y: v, z: v)
        let samples = runs.flatMap(\.samples).enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
        #expect(samples.count == 6)
        for (k, s) in samples.enumerated() { #expect(abs(Double(s) - Double(k) * 0.2) < 1e-3) }
    }

    @Test func aRealPauseStartsANewSegment() {
        var resampler = UniformResampler(rate: 60, maxGap: 0.5)
        let before = (0..<60).map { 1_764_000_000 + Double($0) / 60 }
        let after = (0..<60).map { 1_764_000_003 + Double($0) / 60 }
        let t = before + after
        let v = [Float](repeating: 1, count: t.count)
        let runs = resampler.add(times: t, x: v, y: v, z: v)
        #expect(resampler.pauses == 1)
        #expect(runs.count == 2)
        #expect(abs(runs[1].firstSampleTime - after[0]) < 1e-9)
    }

    /// One channel (EMG) on the same clock, and a lone sample after a pause kept by `finish()`.
    @Test func oneChannelAndALoneLastSample() {
        var resampler = UniformResampler(rate: 50, channels: 1)
        let t = [0.0, 0.013, 0.041, 0.052, 0.088, 0.1, 2.0].map { 1_764_000_000 + $0 }
        let v = t.map { Float(($0 - t[0]) * 10) }
        let runs = resampler.add(times: t, interleaved: v)
        #expect(runs.count == 1 && runs[0].count == 6 && runs[0].channels == 1)
        for (k, s) in runs[0].samples.enumerated() { #expect(abs(Double(s) - Double(k) * 0.2) < 1e-3) }
        let last = resampler.finish()
        #expect(last.count == 1 && last[0].samples == [v[6]] && last[0].firstSampleTime == t[6])
        #expect(resampler.pauses == 1)
    }
}
