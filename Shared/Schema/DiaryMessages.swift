import Foundation

/// One diary entry, on `manual.entry` (`type` "manual.entry"). Exactly one of the optional
/// records is set, the one `kind` names.
public struct DiaryEntry: MessageBody {
    public static let messageType = "manual.entry"

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case spasm, checkin, medication, exercise, relapse, correction, confirmation
    }

    /// The entry's id, shown by the CLI and the phone page (a unique prefix is accepted).
    public var entryId: UUID
    /// When the person wrote it (Unix seconds).
    public var recordedAt: Double
    /// "cli", "web", or an integration's name.
    public var via: String
    public var kind: Kind
    public var spasm: SpasmRecord?
    public var checkin: CheckIn?
    public var medication: MedicationRecord?
    public var exercise: ExerciseRecord?
    public var relapse: RelapseRecord?
    public var correction: CorrectionRecord?
    public var confirmation: EpisodeConfirmation?

    public init(
        entryId: UUID = .fastRandom(), recordedAt: Double, via: String, kind: Kind, spasm: SpasmRecord? = nil,
        checkin: CheckIn? = nil, medication: MedicationRecord? = nil, exercise: ExerciseRecord? = nil,
        relapse: RelapseRecord? = nil, correction: CorrectionRecord? = nil,
        confirmation: EpisodeConfirmation? = nil
    ) {
        self.entryId = entryId
        self.recordedAt = recordedAt
        self.via = via
        self.kind = kind
        self.spasm = spasm
        self.checkin = checkin
        self.medication = medication
        self.exercise = exercise
        self.relapse = relapse
        self.correction = correction
        self.confirmation = confirmation
    }
}

/// Spasm types a person can record.
public enum SpasmType: String, Codable, Sendable, CaseIterable {
    case tonic, phasic, clonus, cramp, unsure
}

/// Things people notice bring spasms on (BRIEF §1).
public enum SpasmTrigger: String, Codable, Sendable, CaseIterable {
    case heat, cold, stress, tiredness, infection, bladder, posture, stretch, inactivity
}

/// What a spasm caused.
public enum SpasmEffect: String, Codable, Sendable, CaseIterable {
    case fall, dropped = "dropped-something", wokeMe = "woke-me", none
}

/// A spasm or cramp as the person remembers it.
public struct SpasmRecord: Codable, Sendable, Equatable {
    /// When it happened (Unix seconds).
    public var at: Double
    public var durationSeconds: Double?
    public var site: BodySite?
    public var type: SpasmType
    /// PSFS severity: 1 mild, 2 moderate, 3 severe.
    public var severity: Int
    /// Pain 0–10.
    public var pain: Int?
    public var triggers: [SpasmTrigger]
    public var triggerNote: String?
    public var effects: [SpasmEffect]
    public var note: String?

    public init(
        at: Double, durationSeconds: Double? = nil, site: BodySite? = nil, type: SpasmType, severity: Int,
        pain: Int? = nil, triggers: [SpasmTrigger] = [], triggerNote: String? = nil,
        effects: [SpasmEffect] = [], note: String? = nil
    ) {
        self.at = at
        self.durationSeconds = durationSeconds
        self.site = site
        self.type = type
        self.severity = severity
        self.pain = pain
        self.triggers = triggers
        self.triggerNote = triggerNote
        self.effects = effects
        self.note = note
    }
}

/// The daily check-in: spasticity NRS, PSFS frequency, sleep.
public struct CheckIn: Codable, Sendable, Equatable {
    public var at: Double
    /// Spasticity NRS 0–10 for the last 24 h.
    public var nrs: Int
    /// PSFS frequency 0–4.
    public var psfs: Int?
    /// Sleep quality 0–10.
    public var sleepQuality: Int?

    public init(at: Double, nrs: Int, psfs: Int? = nil, sleepQuality: Int? = nil) {
        self.at = at
        self.nrs = nrs
        self.psfs = psfs
        self.sleepQuality = sleepQuality
    }
}

/// A medication or supplement taken, or a change of regular treatment.
public struct MedicationRecord: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, CaseIterable { case taken, started, stopped, changed }
    public enum Regimen: String, Codable, Sendable, CaseIterable {
        case regular, shortCourse = "short-course", asNeeded = "as-needed"
    }
    public var at: Double
    public var name: String
    public var dose: Double?
    public var unit: String?
    public var action: Action
    public var regimen: Regimen
    /// True for a supplement (vitamin D, magnesium, ...).
    public var supplement: Bool

    public init(
        at: Double, name: String, dose: Double? = nil, unit: String? = nil, action: Action,
        regimen: Regimen, supplement: Bool = false
    ) {
        self.at = at
        self.name = name
        self.dose = dose
        self.unit = unit
        self.action = action
        self.regimen = regimen
        self.supplement = supplement
    }
}

/// An exercise session.
public struct ExerciseRecord: Codable, Sendable, Equatable {
    public var at: Double
    public var activity: String
    public var minutes: Double

    public init(at: Double, activity: String, minutes: Double) {
        self.at = at
        self.activity = activity
        self.minutes = minutes
    }
}

/// The start or end of a relapse or flare-up.
public struct RelapseRecord: Codable, Sendable, Equatable {
    public enum Phase: String, Codable, Sendable, CaseIterable { case start, end }
    public enum MarkedBy: String, Codable, Sendable, CaseIterable { case person, clinician }
    public var at: Double
    public var phase: Phase
    public var markedBy: MarkedBy
    public var note: String?

    public init(at: Double, phase: Phase, markedBy: MarkedBy = .person, note: String? = nil) {
        self.at = at
        self.phase = phase
        self.markedBy = markedBy
        self.note = note
    }
}

/// Retracts an earlier entry, or replaces it with another (new) entry.
public struct CorrectionRecord: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, CaseIterable { case retract, replace }
    public var targetEntryId: UUID
    public var action: Action
    /// With `replace`: the entry that takes the target's place.
    public var replacementEntryId: UUID?

    public init(targetEntryId: UUID, action: Action, replacementEntryId: UUID? = nil) {
        self.targetEntryId = targetEntryId
        self.action = action
        self.replacementEntryId = replacementEntryId
    }
}

/// "Was this a spasm?" — the person's answer about a detected episode; detection learns from it.
public struct EpisodeConfirmation: Codable, Sendable, Equatable {
    public var episodeId: UUID
    public var wasSpasm: Bool
    public var note: String?

    public init(episodeId: UUID, wasSpasm: Bool, note: String? = nil) {
        self.episodeId = episodeId
        self.wasSpasm = wasSpasm
        self.note = note
    }
}
