import Foundation

/// Detector thresholds. Defaults follow BRIEF §2 with a little margin below each
/// definition; `sensitivityOffset` is the one learnable knob (per person, from
/// confirmed / rejected alerts): positive = more sensitive (thresholds lowered by up to 25 %),
/// negative = fewer alarms.
///
/// Every field has a default and decoding accepts partial JSON, so a config file
/// only needs the fields it changes.
public struct DetectorSettings: Sendable, Codable, Equatable {
    /// −1...1; scales amplitude thresholds by `1 − 0.25 × offset`.
    public var sensitivityOffset: Double = 0

    // MARK: IMU — phasic
    /// Peak dynamic acceleration (g) a jerk must reach (definition: 1 g; setting a limb down ≤ 0.7 g).
    public var phasicPeakG: Double = 0.85
    /// Longest pulse (s) that still counts as a jerk.
    public var phasicMaxPulseSeconds: Double = 0.5
    /// Jerks closer than this (s) form one episode; the episode ends after this much quiet.
    public var phasicMergeSeconds: Double = 1.0

    // MARK: IMU — clonus
    /// Lowest 3–8 Hz band amplitude (g) (definition 0.2 g; walking harmonics stay below with low rhythm).
    public var clonusMinAmplitudeG: Double = 0.16
    public var clonusLowHz: Double = 3.0
    public var clonusHighHz: Double = 8.0
    /// Normalised autocorrelation at the rhythm period needed to call a signal rhythmic (0...1).
    public var clonusMinRhythm: Double = 0.5
    /// A 3–8 Hz rhythm weaker than this (g) that is a harmonic of the gait is walking, not clonus.
    public var walkingHarmonicMaxG: Double = 0.25
    /// Sustained rhythm (s) before a clonus is reported.
    public var clonusMinSeconds: Double = 2.0

    // MARK: IMU — fall
    public var fallFreeFallG: Double = 0.5
    public var fallFreeFallSeconds: Double = 0.1
    public var fallImpactG: Double = 2.5
    public var fallImpactWithinSeconds: Double = 1.0

    // MARK: EMG
    /// Activation threshold as a multiple of the quiet-baseline RMS (definition 5×; the smoothed envelope is compared).
    public var tonicBaselineMultiple: Double = 4.0
    public var tonicMinSeconds: Double = 2.0
    /// Envelope modulation (× baseline) EMG bursting needs to count as clonus.
    public var emgClonusMinModulation: Double = 1.5
    /// Mains frequency to notch out (50 in Europe, 60 in the Americas).
    public var mainsHz: Double = 50
    /// High-pass corner removing motion artefacts (< 10 Hz) and drift.
    public var emgHighPassHz: Double = 20

    public init() {}

    /// Factor applied to amplitude thresholds.
    var amplitudeScale: Double { 1 - 0.25 * max(-1, min(1, sensitivityOffset)) }

    enum CodingKeys: String, CodingKey {
        case sensitivityOffset, phasicPeakG, phasicMaxPulseSeconds, phasicMergeSeconds
        case clonusMinAmplitudeG, clonusLowHz, clonusHighHz, clonusMinRhythm, clonusMinSeconds, walkingHarmonicMaxG
        case fallFreeFallG, fallFreeFallSeconds, fallImpactG, fallImpactWithinSeconds
        case tonicBaselineMultiple, tonicMinSeconds, emgClonusMinModulation, mainsHz, emgHighPassHz
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func d(_ k: CodingKeys, _ v: inout Double) throws { if let x = try c.decodeIfPresent(Double.self, forKey: k) { v = x } }
        try d(.sensitivityOffset, &sensitivityOffset)
        try d(.phasicPeakG, &phasicPeakG)
        try d(.phasicMaxPulseSeconds, &phasicMaxPulseSeconds)
        try d(.phasicMergeSeconds, &phasicMergeSeconds)
        try d(.clonusMinAmplitudeG, &clonusMinAmplitudeG)
        try d(.clonusLowHz, &clonusLowHz)
        try d(.clonusHighHz, &clonusHighHz)
        try d(.clonusMinRhythm, &clonusMinRhythm)
        try d(.clonusMinSeconds, &clonusMinSeconds)
        try d(.walkingHarmonicMaxG, &walkingHarmonicMaxG)
        try d(.fallFreeFallG, &fallFreeFallG)
        try d(.fallFreeFallSeconds, &fallFreeFallSeconds)
        try d(.fallImpactG, &fallImpactG)
        try d(.fallImpactWithinSeconds, &fallImpactWithinSeconds)
        try d(.tonicBaselineMultiple, &tonicBaselineMultiple)
        try d(.tonicMinSeconds, &tonicMinSeconds)
        try d(.emgClonusMinModulation, &emgClonusMinModulation)
        try d(.mainsHz, &mainsHz)
        try d(.emgHighPassHz, &emgHighPassHz)
    }
}
