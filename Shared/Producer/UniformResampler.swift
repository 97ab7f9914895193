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
/// Pure value type, no I/O; the phone's WebSocket (spasmwatch-manual) uses one per device.
public struct UniformResampler: Sendable {
    public let rate: Double
    /// Input samples further apart than this are a pause, not jitter (seconds).
    public let maxGap: Double
    /// One uniform run of output: its first sample's time and the samples (interleaved).
    public struct Run: Sendable, Equatable {
        public var firstSampleTime: Double
        public var samples: [Float]
        public var count: Int { samples.count / 3 }
    }

    private var previous: (t: Double, v: (Float, Float, Float))?
    private var segmentStart = 0.0
    /// Index (in the segment) of the next output sample.
    private var nextIndex = 0
    /// Pauses seen (segments started after the first).
    public private(set) var pauses = 0

    public init(rate: Double, maxGap: Double = 0.5) {
        self.rate = rate
        self.maxGap = maxGap
    }

    private var nextTime: Double { segmentStart + Double(nextIndex) / rate }

    /// Feeds samples in time order (`t` Unix seconds, x y z); returns the uniform runs they
    /// complete (usually one; a pause starts another). A sample not after the previous one
    /// is dropped (a browser never sends those; a re-sent batch is filtered before this).
    public mutating func add(times: [Double], x: [Float], y: [Float], z: [Float]) -> [Run] {
        var runs: [Run] = []
        var current: Run?
        for i in times.indices {
            let t = times[i], v = (x[i], y[i], z[i])
            guard let (t0, v0) = previous else {
                previous = (t, v)
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
                previous = (t, v)
                segmentStart = t
                nextIndex = 0
                continue
            }
            while nextTime <= t {
                let at = nextTime
                let f = Float((at - t0) / (t - t0))
                if current == nil { current = Run(firstSampleTime: at, samples: []) }
                current!.samples.append(v0.0 + (v.0 - v0.0) * f)
                current!.samples.append(v0.1 + (v.1 - v0.1) * f)
                current!.samples.append(v0.2 + (v.2 - v0.2) * f)
                nextIndex += 1
            }
            previous = (t, v)
        }
        if let run = current, run.count > 0 { runs.append(run) }
        return runs
    }
}
