import Foundation

/// Which wearable a detector listens to.
/// - `imu`: 3-axis accelerometer, samples interleaved `x, y, z` in g.
/// - `emg`: one surface-EMG channel in mV.
public enum SensorKind: String, Sendable, Codable, CaseIterable {
    case imu, emg

    /// Interleaved values per sample.
    public var channels: Int { self == .imu ? 3 : 1 }
}

/// The kinds of episode defined in BRIEF §2.
public enum EpisodeKind: String, Sendable, Codable, CaseIterable {
    /// One or more involuntary jerks (dynamic pulse ≥ 1 g, ≤ 0.5 s), jerks < 1 s apart merged (IMU).
    case phasic
    /// Rhythmic 3–8 Hz oscillation (IMU ≥ 0.2 g) or EMG bursting, sustained ≥ 2 s.
    case clonus
    /// EMG activation ≥ 5× the quiet baseline RMS sustained ≥ 2 s.
    case tonic
    /// |a| < 0.5 g for ≥ 100 ms, then |a| > 2.5 g within 1 s (IMU).
    case fall
}

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
        self.id = id; self.kind = kind; self.start = start; self.detectedAt = detectedAt; self.confidence = confidence
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

    public init(id: UUID, kind: EpisodeKind, start: Double, end: Double, detectedAt: Double,
                peak: Double, dominantFrequencyHz: Double?, confidence: Double) {
        self.id = id; self.kind = kind; self.start = start; self.end = end; self.detectedAt = detectedAt
        self.peak = peak; self.dominantFrequencyHz = dominantFrequencyHz; self.confidence = confidence
    }
}

/// What a ``StreamingDetector`` reports: an onset, later the end with the same id.
public enum DetectorOutput: Sendable, Equatable {
    case onset(EpisodeOnset)
    case end(EpisodeEnd)

    public var id: UUID {
        switch self { case .onset(let o): o.id; case .end(let e): e.id }
    }
    public var kind: EpisodeKind {
        switch self { case .onset(let o): o.kind; case .end(let e): e.kind }
    }
}

@inline(__always) func clamp01(_ x: Double) -> Double { x < 0 ? 0 : (x > 1 ? 1 : x) }

/// Maps "how far above a threshold" (ratio ≥ 1) to a confidence in 0.5...1.
@inline(__always) func confidence(ratio: Double) -> Double {
    clamp01(0.5 + 0.5 * (ratio - 1))
}
