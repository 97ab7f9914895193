import Foundation

/// Emitted once, as soon as the evidence for an episode is complete.
public struct EpisodeOnset: Sendable, Equatable, Codable {
    /// Shared with the matching ``EpisodeEnd``.
    public var id: UUID
    public var kind: EpisodeKind
    /// Stream time (s) at which the episode began.
    public var start: Double
    /// Stream time (s) of the sample that completed the evidence (≥ `start`).
    public var detectedAt: Double
    /// 0...1, how far above the thresholds the evidence was.
    public var confidence: Double

    public init(id: UUID, kind: EpisodeKind, start: Double, detectedAt: Double, confidence: Double) {
        self.id = id
        self.kind = kind
        self.start = start
        self.detectedAt = detectedAt
        self.confidence = confidence
    }
}

/// Emitted once when an episode is over (or flushed by `finish()` / a data gap).
public struct EpisodeEnd: Sendable, Equatable, Codable {
    /// Same id as the ``EpisodeOnset`` that opened the episode.
    public var id: UUID
    public var kind: EpisodeKind
    public var start: Double
    public var end: Double
    /// Stream time (s) at which the end was decided.
    public var detectedAt: Double
    /// Peak of the defining measure: dynamic acceleration in g (IMU) or EMG envelope in mV.
    public var peak: Double
    /// Dominant rhythm for clonus, nil for the others.
    public var dominantFrequencyHz: Double?
    public var confidence: Double

    public init(
        id: UUID, kind: EpisodeKind, start: Double, end: Double, detectedAt: Double,
        peak: Double, dominantFrequencyHz: Double?, confidence: Double
    ) {
        self.id = id
        self.kind = kind
        self.start = start
        self.end = end
        self.detectedAt = detectedAt
        self.peak = peak
        self.dominantFrequencyHz = dominantFrequencyHz
        self.confidence = confidence
    }
}

/// What a ``StreamingDetector`` reports: an onset, later the end with the same id.
public enum DetectorOutput: Sendable, Equatable {
    case onset(EpisodeOnset)
    case end(EpisodeEnd)

    public var id: UUID {
        switch self {
        case .onset(let o): o.id
        case .end(let e): e.id
        }
    }
    public var kind: EpisodeKind {
        switch self {
        case .onset(let o): o.kind
        case .end(let e): e.kind
        }
    }
}

@inline(__always) func clamp01(_ x: Double) -> Double { x < 0 ? 0 : (x > 1 ? 1 : x) }

/// Maps "how far above a threshold" (ratio ≥ 1) to a confidence in 0.5...1.
@inline(__always) func confidence(ratio: Double) -> Double {
    clamp01(0.5 + 0.5 * (ratio - 1))
}
