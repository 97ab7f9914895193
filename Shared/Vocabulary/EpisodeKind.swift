/// The kinds of episode defined in BRIEF §2: what the detector finds, what the bus carries
/// on `episode.<kind>`, what the store keeps and what a simulation labels. On the wire as
/// its lowercase name.
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
