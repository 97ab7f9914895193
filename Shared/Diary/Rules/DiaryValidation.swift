import Foundation
import SpasmErrors
import SpasmSchema

extension SpasmError.Code {
    /// A diary entry, or what a person typed for one, breaks a rule: the error's `detail` is
    /// the field's path on the wire (`spasm.severity`, `checkin.nrs`, `kind`; nil when the
    /// request body as a whole is wrong) and its message the one sentence that names it and
    /// the allowed values. The CLI, the phone page, the JSON API and the manual service all
    /// show this same sentence (`ManualReply.failure` puts it on the wire as `error`/`field`).
    public static let diaryInvalid = SpasmError.Code("diary.invalid")
}

extension SpasmError {
    /// Why a diary entry was refused: `field` (its wire path, or nil for the whole body) and the sentence.
    public static func diaryInvalid(field: String?, _ message: String) -> SpasmError {
        SpasmError(.diaryInvalid, message, detail: field)
    }
}

/// Every rule a diary entry must pass, one function per field. Each throws the exact
/// sentence for that field (tests pin each one).
public enum DiaryRules {
    /// Earliest accepted time (2000-01-01 UTC): older is a typing mistake.
    public static let earliest: Double = 946_684_800
    /// 2100-01-01 UTC: a time beyond it is a unit mistake, not a clock running ahead.
    public static let latest: Double = 4_102_444_800
    /// A clock on a phone may run a little ahead; more than this in the future is refused.
    public static let futureSlackSeconds: Double = 600
    public static let maxNoteCharacters = 2000
    public static let maxNameCharacters = 100
    /// Dose units a medication or supplement may be given in.
    public static let doseUnits = ["mg", "mcg", "g", "ml", "IU", "tablet", "capsule", "drop", "puff", "sachet"]

    static func list<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> String where T.RawValue == String {
        type.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// "10" for 10.0, "2.5" for 2.5: numbers as people write them.
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    // MARK: Spasm

    public static func severity(_ value: Int, field: String = "spasm.severity") throws(SpasmError) {
        guard (1...3).contains(value) else {
            throw SpasmError.diaryInvalid(field: field, "severity \(value) is outside 1–3 (PSFS: 1 mild, 2 moderate, 3 severe)")
        }
    }

    public static func pain(_ value: Int, field: String = "spasm.pain") throws(SpasmError) {
        guard (0...10).contains(value) else {
            throw SpasmError.diaryInvalid(field: field, "pain \(value) is outside 0–10 (0 no pain, 10 worst imaginable)")
        }
    }

    public static func site(_ text: String, field: String = "spasm.site") throws(SpasmError) -> BodySite {
        guard let site = BodySite(parsing: text) else {
            throw SpasmError.diaryInvalid(field: field, "site \(BodySite.notASite(text, quote: { EchoText.quoted($0) }))")
        }
        return site
    }

    public static func spasmType(_ text: String, field: String = "spasm.type") throws(SpasmError) -> SpasmType {
        guard let type = SpasmType(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw SpasmError.diaryInvalid(field: field, "type \(EchoText.quoted(text)) is not a spasm type; allowed: \(list(SpasmType.self))")
        }
        return type
    }

    public static func trigger(_ text: String, field: String = "spasm.triggers") throws(SpasmError) -> SpasmTrigger {
        guard let trigger = SpasmTrigger(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw SpasmError.diaryInvalid(
                field: field,
                "trigger \(EchoText.quoted(text)) is not on the list; allowed: \(list(SpasmTrigger.self)) (anything else goes in the trigger note)"
            )
        }
        return trigger
    }

    public static func effect(_ text: String, field: String = "spasm.effects") throws(SpasmError) -> SpasmEffect {
        let normalized = text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "-")
        guard let effect = SpasmEffect(rawValue: normalized) else {
            throw SpasmError.diaryInvalid(
                field: field, "caused \(EchoText.quoted(text)) is not on the list; allowed: \(list(SpasmEffect.self))")
        }
        return effect
    }

    public static func effects(_ values: [SpasmEffect], field: String = "spasm.effects") throws(SpasmError) {
        if values.contains(.none) && values.count > 1 {
            let others = values.filter { $0 != .none }.map(\.rawValue).joined(separator: ", ")
            throw SpasmError.diaryInvalid(field: field, "caused 'none' cannot be combined with \(others)")
        }
    }

    public static func duration(_ seconds: Double, field: String = "spasm.durationSeconds") throws(SpasmError) {
        guard seconds.isFinite, seconds >= 1, seconds <= 86_400 else {
            throw SpasmError.diaryInvalid(
                field: field, "duration \(number(seconds))s is outside 1 second–24 hours (e.g. 45s, 2m, 1h)")
        }
    }

    // MARK: Check-in

    public static func nrs(_ value: Int, field: String = "checkin.nrs") throws(SpasmError) {
        guard (0...10).contains(value) else {
            throw SpasmError.diaryInvalid(
                field: field, "nrs \(value) is outside 0–10 (spasticity over the last 24 hours: 0 none, 10 worst imaginable)")
        }
    }

    public static func psfs(_ value: Int, field: String = "checkin.psfs") throws(SpasmError) {
        guard (0...4).contains(value) else {
            throw SpasmError.diaryInvalid(
                field: field,
                "psfs \(value) is outside 0–4 (PSFS frequency: 0 none, 1 only when stimulated, 2 less than once an hour, 3 once an hour or more, 4 more than 10 an hour)"
            )
        }
    }

    public static func sleepQuality(_ value: Int, field: String = "checkin.sleepQuality") throws(SpasmError) {
        guard (0...10).contains(value) else {
            throw SpasmError.diaryInvalid(field: field, "sleep \(value) is outside 0–10 (sleep quality: 0 very poor, 10 very good)")
        }
    }

    // MARK: Medication

    public static func medicationName(_ text: String, field: String = "medication.name") throws(SpasmError) -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else {
            throw SpasmError.diaryInvalid(field: field, "medication name is empty; give the medicine or supplement, e.g. baclofen")
        }
        guard name.count <= maxNameCharacters else {
            throw SpasmError.diaryInvalid(field: field, "medication name is \(name.count) characters; allowed: up to \(maxNameCharacters)")
        }
        return name
    }

    public static func dose(_ value: Double, field: String = "medication.dose") throws(SpasmError) {
        guard value.isFinite, value > 0, value <= 100_000 else {
            throw SpasmError.diaryInvalid(
                field: field, "dose \(number(value)) is outside the allowed range: more than 0, up to 100000 (e.g. 10mg)")
        }
    }

    public static func doseUnit(_ text: String, field: String = "medication.unit") throws(SpasmError) -> String {
        var normalized = text.trimmingCharacters(in: .whitespaces)
        if normalized.lowercased() == "µg" || normalized.lowercased() == "ug" { normalized = "mcg" }
        if normalized.count > 2, normalized.hasSuffix("s"),
            doseUnits.contains(where: { $0.caseInsensitiveCompare(String(normalized.dropLast())) == .orderedSame })
        {
            normalized = String(normalized.dropLast())  // "tablets" → "tablet"
        }
        guard let unit = doseUnits.first(where: { $0.caseInsensitiveCompare(normalized) == .orderedSame }) else {
            throw SpasmError.diaryInvalid(
                field: field, "unit \(EchoText.quoted(text)) is not a dose unit; allowed: \(doseUnits.joined(separator: ", "))")
        }
        return unit
    }

    public static func medicationAction(_ text: String, field: String = "medication.action") throws(SpasmError) -> MedicationRecord.Action {
        guard let action = MedicationRecord.Action(rawValue: text.lowercased()) else {
            throw SpasmError.diaryInvalid(
                field: field, "action \(EchoText.quoted(text)) is not a medication action; allowed: \(list(MedicationRecord.Action.self))")
        }
        return action
    }

    public static func regimen(_ text: String, field: String = "medication.regimen") throws(SpasmError) -> MedicationRecord.Regimen {
        let normalized = text.lowercased().replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
        guard let regimen = MedicationRecord.Regimen(rawValue: normalized) else {
            throw SpasmError.diaryInvalid(
                field: field, "regimen \(EchoText.quoted(text)) is not a regimen; allowed: \(list(MedicationRecord.Regimen.self))")
        }
        return regimen
    }

    /// A dose and its unit go together; a new or changed regular dose needs the dose.
    public static func medicationDose(_ record: MedicationRecord) throws(SpasmError) {
        if let dose = record.dose {
            try self.dose(dose)
            guard let unit = record.unit else {
                throw SpasmError.diaryInvalid(
                    field: "medication.unit",
                    "dose \(number(dose)) needs a unit; allowed: \(doseUnits.joined(separator: ", "))")
            }
            _ = try doseUnit(unit)
        } else if let unit = record.unit {
            throw SpasmError.diaryInvalid(field: "medication.dose", "unit '\(unit)' was given without a dose (e.g. 10mg)")
        }
        if record.action == .changed && record.dose == nil {
            throw SpasmError.diaryInvalid(field: "medication.dose", "a changed medication needs the new dose (e.g. 15mg)")
        }
    }

    // MARK: Exercise

    public static func activity(_ text: String, field: String = "exercise.activity") throws(SpasmError) -> String {
        let activity = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !activity.isEmpty else {
            throw SpasmError.diaryInvalid(field: field, "exercise activity is empty; e.g. stretching, walking, physio")
        }
        guard activity.count <= maxNameCharacters else {
            throw SpasmError.diaryInvalid(
                field: field, "exercise activity is \(activity.count) characters; allowed: up to \(maxNameCharacters)")
        }
        return activity
    }

    public static func minutes(_ value: Double, field: String = "exercise.minutes") throws(SpasmError) {
        guard value.isFinite, value >= 1, value <= 600 else {
            throw SpasmError.diaryInvalid(field: field, "minutes \(number(value)) is outside 1–600 (e.g. 20m, 1h)")
        }
    }

    // MARK: Relapse

    public static func relapsePhase(_ text: String, field: String = "relapse.phase") throws(SpasmError) -> RelapseRecord.Phase {
        guard let phase = RelapseRecord.Phase(rawValue: text.lowercased()) else {
            throw SpasmError.diaryInvalid(
                field: field, "phase \(EchoText.quoted(text)) is not a relapse phase; allowed: \(list(RelapseRecord.Phase.self))")
        }
        return phase
    }

    public static func markedBy(_ text: String, field: String = "relapse.markedBy") throws(SpasmError) -> RelapseRecord.MarkedBy {
        guard let who = RelapseRecord.MarkedBy(rawValue: text.lowercased()) else {
            throw SpasmError.diaryInvalid(
                field: field, "markedBy \(EchoText.quoted(text)) is not allowed; allowed: \(list(RelapseRecord.MarkedBy.self))")
        }
        return who
    }

    // MARK: Correction

    public static func correctionAction(_ text: String, field: String = "correction.action") throws(SpasmError) -> CorrectionRecord.Action {
        guard let action = CorrectionRecord.Action(rawValue: text.lowercased()) else {
            throw SpasmError.diaryInvalid(
                field: field, "action \(EchoText.quoted(text)) is not a correction action; allowed: \(list(CorrectionRecord.Action.self))")
        }
        return action
    }

    public static func correction(_ record: CorrectionRecord, entryId: UUID) throws(SpasmError) {
        if record.targetEntryId == entryId {
            throw SpasmError.diaryInvalid(field: "correction.targetEntryId", "a correction cannot name its own entry id as its target")
        }
        switch record.action {
        case .replace where record.replacementEntryId == nil:
            throw SpasmError.diaryInvalid(
                field: "correction.replacementEntryId",
                "action 'replace' needs replacementEntryId, the entry that takes the target's place")
        case .retract where record.replacementEntryId != nil:
            throw SpasmError.diaryInvalid(
                field: "correction.replacementEntryId",
                "action 'retract' takes no replacementEntryId (use action 'replace')")
        default:
            break
        }
    }

    // MARK: Shared

    public static func uuid(_ text: String, field: String, what: String) throws(SpasmError) -> UUID {
        guard let id = UUID(uuidString: text.trimmingCharacters(in: .whitespaces)) else {
            throw SpasmError.diaryInvalid(
                field: field, "\(field.split(separator: ".").last ?? "") \(EchoText.quoted(text)) is not \(what) (a UUID)")
        }
        return id
    }

    public static func kind(_ text: String, field: String = "kind") throws(SpasmError) -> DiaryEntry.Kind {
        guard let kind = DiaryEntry.Kind(rawValue: text.lowercased()) else {
            throw SpasmError.diaryInvalid(
                field: field, "kind \(EchoText.quoted(text)) is not an entry kind; allowed: \(list(DiaryEntry.Kind.self))")
        }
        return kind
    }

    /// When something happened: not before 2000, not (much) in the future.
    public static func time(_ value: Double, now: Double, field: String) throws(SpasmError) {
        let name = field.split(separator: ".").last.map(String.init) ?? field
        guard value.isFinite, value >= earliest else {
            throw SpasmError.diaryInvalid(field: field, "\(name) \(number(value)) is before 2000-01-01; give Unix seconds (UTC)")
        }
        // Checked before the minutes below: a far larger value cannot be counted in an Int.
        guard value < latest else {
            throw SpasmError.diaryInvalid(field: field, "\(name) \(number(value)) is after 2100-01-01; give Unix seconds (UTC)")
        }
        if value > now + futureSlackSeconds {
            let minutes = number(((value - now) / 60).rounded())
            throw SpasmError.diaryInvalid(
                field: field, "\(name) is \(minutes) minutes in the future; a diary entry records what has already happened")
        }
    }

    public static func note(_ text: String, field: String) throws(SpasmError) {
        guard text.count <= maxNoteCharacters else {
            let name = field.split(separator: ".").last.map(String.init) ?? field
            throw SpasmError.diaryInvalid(field: field, "\(name) is \(text.count) characters; allowed: up to \(maxNoteCharacters)")
        }
    }

    public static func via(_ text: String) throws(SpasmError) {
        guard !text.isEmpty, text.count <= 40 else {
            throw SpasmError.diaryInvalid(field: "via", "via \(EchoText.quoted(text)) must be 1–40 characters, e.g. cli, web")
        }
    }
}

/// Checks a typed entry against every rule (the manual service runs this on every entry,
/// whichever way it came in).
public enum DiaryValidator {
    public static func validate(_ entry: DiaryEntry, now: Double = Date().timeIntervalSince1970) throws(SpasmError) {
        try DiaryRules.via(entry.via)
        try DiaryRules.time(entry.recordedAt, now: now, field: "recordedAt")
        let present: [(DiaryEntry.Kind, Bool)] = [
            (.spasm, entry.spasm != nil), (.checkin, entry.checkin != nil), (.medication, entry.medication != nil),
            (.exercise, entry.exercise != nil), (.relapse, entry.relapse != nil), (.correction, entry.correction != nil),
            (.confirmation, entry.confirmation != nil),
        ]
        let given = present.filter(\.1).map(\.0)
        guard given.contains(entry.kind) else {
            throw SpasmError.diaryInvalid(
                field: entry.kind.rawValue,
                "kind '\(entry.kind.rawValue)' needs a '\(entry.kind.rawValue)' record")
        }
        if given.count > 1 {
            let others = given.filter { $0 != entry.kind }.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw SpasmError.diaryInvalid(
                field: "kind",
                "entry has \(others) besides '\(entry.kind.rawValue)'; send exactly one record, the one kind names")
        }
        if let s = entry.spasm {
            try DiaryRules.time(s.at, now: now, field: "spasm.at")
            if let d = s.durationSeconds { try DiaryRules.duration(d) }
            try DiaryRules.severity(s.severity)
            if let p = s.pain { try DiaryRules.pain(p) }
            try DiaryRules.effects(s.effects)
            if let n = s.triggerNote { try DiaryRules.note(n, field: "spasm.triggerNote") }
            if let n = s.note { try DiaryRules.note(n, field: "spasm.note") }
        }
        if let c = entry.checkin {
            try DiaryRules.time(c.at, now: now, field: "checkin.at")
            try DiaryRules.nrs(c.nrs)
            if let p = c.psfs { try DiaryRules.psfs(p) }
            if let q = c.sleepQuality { try DiaryRules.sleepQuality(q) }
        }
        if let m = entry.medication {
            try DiaryRules.time(m.at, now: now, field: "medication.at")
            _ = try DiaryRules.medicationName(m.name)
            try DiaryRules.medicationDose(m)
        }
        if let e = entry.exercise {
            try DiaryRules.time(e.at, now: now, field: "exercise.at")
            _ = try DiaryRules.activity(e.activity)
            try DiaryRules.minutes(e.minutes)
        }
        if let r = entry.relapse {
            try DiaryRules.time(r.at, now: now, field: "relapse.at")
            if let n = r.note { try DiaryRules.note(n, field: "relapse.note") }
        }
        if let c = entry.correction { try DiaryRules.correction(c, entryId: entry.entryId) }
        if let c = entry.confirmation, let n = c.note { try DiaryRules.note(n, field: "confirmation.note") }
    }
}
