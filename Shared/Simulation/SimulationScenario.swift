import Foundation

/// What the simulator supports of each sensor kind (BRIEF §2).
extension SensorKind {
    /// The supported sample-rate range (BRIEF §2).
    public var supportedRates: ClosedRange<Double> { self == .imu ? 25...200 : 500...2000 }
    /// A typical default rate.
    public var defaultRate: Double { self == .imu ? 50 : 1000 }
}

/// Body site of the simulated sensor; changes resting orientation, walking and clonus
/// character (ankle clonus sits at 4–6 Hz, wrist anywhere in 3–8 Hz).
public enum SimulatedPlacement: String, Sendable, Codable, CaseIterable {
    case wrist, forearm, ankle, calf, quadriceps

    /// True for lower-limb sites (bigger walking signal, fewer arm gestures).
    public var isLeg: Bool { self == .ankle || self == .calf || self == .quadriceps }
}

/// Expected events per hour of each kind. Kinds that do not exist on the sensor kind
/// (phasic/fall on EMG, tonic on IMU) are ignored.
public struct EventRates: Sendable, Codable, Equatable {
    public var phasic: Double
    public var clonus: Double
    public var tonic: Double
    public var fall: Double

    public init(phasic: Double = 0, clonus: Double = 0, tonic: Double = 0, fall: Double = 0) {
        self.phasic = phasic
        self.clonus = clonus
        self.tonic = tonic
        self.fall = fall
    }

    /// No events at all.
    public static let none = EventRates()

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        phasic = try c.decodeIfPresent(Double.self, forKey: .phasic) ?? 0
        clonus = try c.decodeIfPresent(Double.self, forKey: .clonus) ?? 0
        tonic = try c.decodeIfPresent(Double.self, forKey: .tonic) ?? 0
        fall = try c.decodeIfPresent(Double.self, forKey: .fall) ?? 0
    }
}

/// Relative weights of the non-event activities and confounders.
///
/// IMU: `rest`, `walking`, `gestures`, `setDown`, `vibration` are weights for choosing
/// the next activity bout. EMG: `contractionsPerHour` (voluntary, ≤ 0.8 s),
/// `artefactsPerHour` (motion artefacts < 10 Hz), `humLevel` (50 Hz amplitude as a
/// multiple of the baseline RMS, ≤ 3), `drift` (relative noise-floor wander, 0…0.5).
public struct ConfounderMix: Sendable, Codable, Equatable {
    public var rest: Double
    public var walking: Double
    public var gestures: Double
    public var setDown: Double
    public var vibration: Double
    public var contractionsPerHour: Double
    public var artefactsPerHour: Double
    public var humLevel: Double
    public var drift: Double

    public init(
        rest: Double = 4, walking: Double = 2, gestures: Double = 2, setDown: Double = 1,
        vibration: Double = 0.5, contractionsPerHour: Double = 60, artefactsPerHour: Double = 60,
        humLevel: Double = 0.6, drift: Double = 0.25
    ) {
        self.rest = rest
        self.walking = walking
        self.gestures = gestures
        self.setDown = setDown
        self.vibration = vibration
        self.contractionsPerHour = contractionsPerHour
        self.artefactsPerHour = artefactsPerHour
        self.humLevel = humLevel
        self.drift = drift
    }

    /// Typical home day: mostly resting, some walking and gestures.
    public static let typical = ConfounderMix()
    /// Busy: lots of every confounder (used by `.confounders`).
    public static let busy = ConfounderMix(
        rest: 1.5, walking: 3, gestures: 3, setDown: 2, vibration: 1.5,
        contractionsPerHour: 300, artefactsPerHour: 300,
        humLevel: 2.5, drift: 0.4)
    /// Only resting noise.
    public static let quiet = ConfounderMix(
        rest: 1, walking: 0, gestures: 0, setDown: 0, vibration: 0,
        contractionsPerHour: 0, artefactsPerHour: 0, humLevel: 0.3, drift: 0.1)

    public init(from decoder: any Decoder) throws {
        let d = ConfounderMix()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rest = try c.decodeIfPresent(Double.self, forKey: .rest) ?? d.rest
        walking = try c.decodeIfPresent(Double.self, forKey: .walking) ?? d.walking
        gestures = try c.decodeIfPresent(Double.self, forKey: .gestures) ?? d.gestures
        setDown = try c.decodeIfPresent(Double.self, forKey: .setDown) ?? d.setDown
        vibration = try c.decodeIfPresent(Double.self, forKey: .vibration) ?? d.vibration
        contractionsPerHour = try c.decodeIfPresent(Double.self, forKey: .contractionsPerHour) ?? d.contractionsPerHour
        artefactsPerHour = try c.decodeIfPresent(Double.self, forKey: .artefactsPerHour) ?? d.artefactsPerHour
        humLevel = try c.decodeIfPresent(Double.self, forKey: .humLevel) ?? d.humLevel
        drift = try c.decodeIfPresent(Double.self, forKey: .drift) ?? d.drift
    }
}

/// Everything that defines one simulated sensor stream. Every field has a default, so
/// `SimulationScenario()` and `{}` (JSON) are both valid; the same scenario with the same
/// seed always yields the same samples and labels.
public struct SimulationScenario: Sendable, Codable, Equatable {
    /// IMU or EMG.
    public var kind: SensorKind
    /// Sample rate in Hz (clamped to the supported range of `kind`).
    public var sampleRate: Double
    /// Length of the stream; `nil` streams forever (used by `RecordingWriter` only when set).
    public var durationSeconds: Double?
    /// Seed of the deterministic generator.
    public var seed: UInt64
    /// Body site.
    public var placement: SimulatedPlacement
    /// "left" or "right" (only used for the manifest's placement text).
    public var side: String
    /// Injected events per hour, by kind.
    public var eventsPerHour: EventRates
    /// Mix of non-event activities / confounders.
    public var confounders: ConfounderMix
    /// Sensor noise as a multiple of a typical sensor (IMU ≈ 0.012 g, EMG ≈ 0.006 mV RMS); 0.3…4.
    public var noiseLevel: Double
    /// Scales movement amplitudes (events keep the definition thresholds); 0.5…1.5.
    public var amplitudeScale: Double
    /// Expected sample gaps (dropped samples) per hour; gaps last 0.2–1.5 s.
    public var gapsPerHour: Double
    /// Seconds at the start that are always quiet and event-free (lets a detector learn the baseline).
    public var warmupSeconds: Double

    public init(
        kind: SensorKind = .imu, sampleRate: Double? = nil, durationSeconds: Double? = nil,
        seed: UInt64 = 1, placement: SimulatedPlacement? = nil, side: String = "left",
        eventsPerHour: EventRates = EventRates(phasic: 6, clonus: 4, tonic: 6, fall: 0.5),
        confounders: ConfounderMix = .typical, noiseLevel: Double = 1, amplitudeScale: Double = 1,
        gapsPerHour: Double = 2, warmupSeconds: Double = 5
    ) {
        self.kind = kind
        self.sampleRate = sampleRate ?? kind.defaultRate
        self.durationSeconds = durationSeconds
        self.seed = seed
        self.placement = placement ?? (kind == .imu ? .wrist : .calf)
        self.side = side
        self.eventsPerHour = eventsPerHour
        self.confounders = confounders
        self.noiseLevel = noiseLevel
        self.amplitudeScale = amplitudeScale
        self.gapsPerHour = gapsPerHour
        self.warmupSeconds = warmupSeconds
    }

    /// Manifest text such as "left wrist".
    public var placementText: String { "\(side) \(placement.rawValue)" }

    /// Events every ~20–60 s, some confounders: a demo shows detections quickly.
    public static func demo(kind: SensorKind, seed: UInt64 = 1) -> SimulationScenario {
        SimulationScenario(
            kind: kind, seed: seed,
            eventsPerHour: kind == .imu
                ? EventRates(phasic: 50, clonus: 30, fall: 10)
                : EventRates(clonus: 40, tonic: 50),
            confounders: ConfounderMix(
                rest: 3, walking: 2, gestures: 2, setDown: 1, vibration: 0.5,
                contractionsPerHour: 90, artefactsPerHour: 90),
            gapsPerHour: 6, warmupSeconds: 5)
    }

    /// Hours of walking, gestures, set-downs, vibration, contractions, artefacts and hum, and no events.
    public static func confounders(kind: SensorKind, seed: UInt64 = 1) -> SimulationScenario {
        SimulationScenario(kind: kind, seed: seed, eventsPerHour: .none, confounders: .busy, gapsPerHour: 4)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decodeIfPresent(SensorKind.self, forKey: .kind) ?? .imu
        let d = SimulationScenario(kind: kind)
        self.kind = kind
        sampleRate = try c.decodeIfPresent(Double.self, forKey: .sampleRate) ?? d.sampleRate
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        placement = try c.decodeIfPresent(SimulatedPlacement.self, forKey: .placement) ?? d.placement
        side = try c.decodeIfPresent(String.self, forKey: .side) ?? d.side
        eventsPerHour = try c.decodeIfPresent(EventRates.self, forKey: .eventsPerHour) ?? d.eventsPerHour
        confounders = try c.decodeIfPresent(ConfounderMix.self, forKey: .confounders) ?? d.confounders
        noiseLevel = try c.decodeIfPresent(Double.self, forKey: .noiseLevel) ?? d.noiseLevel
        amplitudeScale = try c.decodeIfPresent(Double.self, forKey: .amplitudeScale) ?? d.amplitudeScale
        gapsPerHour = try c.decodeIfPresent(Double.self, forKey: .gapsPerHour) ?? d.gapsPerHour
        warmupSeconds = try c.decodeIfPresent(Double.self, forKey: .warmupSeconds) ?? d.warmupSeconds
    }
}
