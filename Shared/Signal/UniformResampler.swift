import Foundation

/// Turns samples with real, jittered timestamps (a phone's browser: about 60 Hz, each event
/// a few milliseconds early or late, now and then a pause) into samples at a uniform rate,
/// which is what a sensor frame carries (`firstSampleTime` + `sampleRate`).
///
/// Output sample k of a segment is at `segmentStart + k / rate`, linearly interpolated
/// between the two input samples around it. The output clock runs on across batches, so
/// consecutive frames join exactly and ingestion and the detector see one unbroken stream
/// however the input jitters. Only a real pause — two input samples more than `maxGap`
/// apart — ends the segment: the next one starts at the next input sample, and the frames
/// show a gap (counted by ingestion as samples lost, treated by the detector as a gap).
/// Pure value type, no I/O, any number of channels (3 for an IMU, 1 for EMG). The one
/// resampler of the project: the phone's WebSocket (spasmwatch-manual) runs one per device,
/// and `spasmwatch-detect scan` / `spasmwatch-sensor replay` run one over a recording whose
/// clock jitters (`Recording.steadyClock()`), so live and offline see the same samples.
public struct UniformResampler: Sendable {
    public let rate: Double
    /// Values per sample.
    public let channels: Int
    /// Input samples further apart than this are a pause, not jitter (seconds).
    public let maxGap: Double
    /// One uniform run of output: its first sample's time and the samples (interleaved).
    public struct Run: Sendable, Equatable {
        public var firstSampleTime: Double
        public var samples: [Float]
        public var channels: Int
        public var count: Int { samples.count / channels }
    }

    /// The last input sample (time, values).
    private var previousTime: Double?
    private var previousValues: [Float]
    private var segmentStart = 0.0
    /// Index (in the segment) of the next output sample.
    private var nextIndex = 0
    /// Pauses seen (segments started after the first).
    public private(set) var pauses = 0

    public init(rate: Double, channels: Int = 3, maxGap: Double = 0.5) {
        self.rate = rate
        self.channels = channels
        self.maxGap = maxGap
        previousValues = [Float](repeating: 0, count: channels)
    }

    private var nextTime: Double { segmentStart + Double(nextIndex) / rate }

    /// Feeds samples in time order (`t` Unix seconds, x y z); returns the uniform runs they
    /// complete (usually one; a pause starts another). A sample not after the previous one
    /// is dropped (a browser never sends those; a re-sent batch is filtered before this).
    public mutating func add(times: [Double], x: [Float], y: [Float], z: [Float]) -> [Run] {
        precondition(channels == 3, "x y z for a three-channel resampler")
        var interleaved: [Float] = []
        interleaved.reserveCapacity(times.count * 3)
        for i in times.indices { interleaved += [x[i], y[i], z[i]] }
        return add(times: times, interleaved: interleaved)
    }

    /// The same with `channels` values per sample, one after the other (`times.count * channels`).
    public mutating func add(times: [Double], interleaved values: [Float]) -> [Run] {
        precondition(values.count == times.count * channels, "\(channels) values per sample")
        var runs: [Run] = []
        var current: Run?
        for i in times.indices {
            let t = times[i]
            let base = i * channels
            guard let t0 = previousTime else {
                keep(t, values, base)
                segmentStart = t
                nextIndex = 0
                continue
            }
            guard t > t0 else { continue }
            if t - t0 > maxGap {
                // A pause: what came before stays as it was; a new segment starts here.
                if let run = current, run.count > 0 { runs.append(run) }
                current = nil
                pauses += 1
                keep(t, values, base)
                segmentStart = t
                nextIndex = 0
                continue
            }
            while nextTime <= t {
                let at = nextTime
                let f = Float((at - t0) / (t - t0))
                if current == nil { current = Run(firstSampleTime: at, samples: [], channels: channels) }
                for c in 0..<channels { current!.samples.append(previousValues[c] + (values[base + c] - previousValues[c]) * f) }
                nextIndex += 1
            }
            keep(t, values, base)
        }
        if let run = current, run.count > 0 { runs.append(run) }
        return runs
    }

    private mutating func keep(_ t: Double, _ values: [Float], _ base: Int) {
        previousTime = t
        for c in 0..<channels { previousValues[c] = values[base + c] }
    }

    /// Ends the input: the last sample, when no output sample has reached it yet (a lone
    /// sample after a pause, or the very first), as a run of its own.
    public mutating func finish() -> [Run] {
        defer { previousTime = nil }
        guard let t = previousTime, nextIndex == 0 else { return [] }
        return [Run(firstSampleTime: t, samples: previousValues, channels: channels)]
    }
}
