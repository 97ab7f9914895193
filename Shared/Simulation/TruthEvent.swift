import Foundation

/// One injected event, as a truth label: stream seconds from the first sample instant.
public struct TruthEvent: Sendable, Codable, Equatable {
    public var start: Double
    public var end: Double
    public var kind: EpisodeKind

    public init(start: Double, end: Double, kind: EpisodeKind) {
        self.start = start
        self.end = end
        self.kind = kind
    }

    /// Duration in seconds.
    public var duration: Double { end - start }
}

/// One contiguous block of samples from `SignalSimulator.nextChunk(count:)`.
///
/// Sample `i` (channel `c`) is `samples[i * channelCount + c]` at time
/// `startTime + Double(i) / sampleRate`. Gaps (dropped samples) only ever happen
/// between chunks: then `gapBefore` is true and `startTime` jumps past the dropped instants.
public struct SimulatedChunk: Sendable, Equatable {
    /// Stream time (s) of the first sample.
    public var startTime: Double
    /// Interleaved samples (3 channels in g for IMU, 1 channel in mV for EMG).
    public var samples: [Float]
    /// 3 for IMU, 1 for EMG.
    public var channelCount: Int
    /// Truth events whose start lies in this chunk (their `end` may lie in a later chunk).
    public var newEvents: [TruthEvent]
    /// True when samples were dropped just before this chunk.
    public var gapBefore: Bool
    /// Index of the first sample instant on the undropped timeline (`startTime * rate`).
    public var firstSampleIndex: Int64
    /// Number of sample instants (also set by `SignalSimulator.fill(_:)`, whose `samples` stay empty).
    public var count: Int

    public init(
        startTime: Double, samples: [Float], channelCount: Int, newEvents: [TruthEvent],
        gapBefore: Bool, firstSampleIndex: Int64, count: Int? = nil
    ) {
        self.startTime = startTime
        self.samples = samples
        self.channelCount = channelCount
        self.newEvents = newEvents
        self.gapBefore = gapBefore
        self.firstSampleIndex = firstSampleIndex
        self.count = count ?? (channelCount == 0 ? 0 : samples.count / channelCount)
    }
}
