import Foundation
import SpasmSchema

/// Reads a diary entry from JSON sent by a person's device (the phone page, `POST /api/entries`,
/// an integration) and turns every problem into the same sentences `DiaryRules` gives the
/// CLI, instead of Codable's generic decoding errors.
///
/// The accepted JSON is the `manual.entry` body (docs/wire-format.md) with conveniences:
/// `entryId` (send one so a re-send is recognised), `recordedAt` and each record's `at`
/// default to now, `via` to the caller's channel, lists default to empty. A device may send
/// `sentAt`, its own clock when it sent the entry: when that clock is more than
/// `trustedClockSkew` seconds off, the entry's times are moved by the difference, so a
/// phone with a wrong clock still lands at the right time (an entry kept offline for hours
/// is sent with a fresh `sentAt`, so the wait is no correction). A clock more than
/// `maxClockCorrection` off is not corrected: the entry is refused, naming `sentAt`, since
/// its times cannot be trusted either way. Corrected times must still pass the rules (not
/// more than 10 minutes ahead of the server's clock).
public enum DiaryEntryParser {
    /// Clock differences up to this are left alone (seconds).
    public static let trustedClockSkew: Double = 30
    /// The largest correction applied (seconds): a clock further off is refused.
    public static let maxClockCorrection: Double = 86_400
    public static func parse(_ data: Data, via defaultVia: String,
                             now: Double = Date().timeIntervalSince1970) throws(DiaryValidationError) -> DiaryEntry {
        // JSONSerialization refuses NaN as "not valid JSON" and may read 1e309 as infinity.
        // One outside any object (malformed text) names no field: the errors below say more.
        if let bad = NonFiniteNumbers.first(in: data), !bad.field.isEmpty { throw DiaryValidationError(field: bad.field, message: bad.message) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DiaryValidationError(field: "", message: "the request body is not valid JSON" + (JSONTextProblem.syntax(data).map { ": \($0)" } ?? ""))
        }
        guard let dictionary = object as? [String: Any] else {
            throw DiaryValidationError(field: "", message: "the request body must be a JSON object, e.g. {\"kind\":\"spasm\",\"spasm\":{…}}")
        }
        return try parse(dictionary, via: defaultVia, now: now)
    }

    public static func parse(_ json: [String: Any], via defaultVia: String,
                             now: Double = Date().timeIntervalSince1970) throws(DiaryValidationError) -> DiaryEntry {
        let top = Fields(json, path: "")
        // `v` is optional here (the page sends none); when given it must be this build's version.
        if let v = top.value("v") {
            guard !(v is String) else {
                throw DiaryValidationError(field: "v", message: "'v' must be the number \(SchemaVersion.current), not a string: send \"v\":\(SchemaVersion.current)")
            }
            let version = try top.int("v") ?? 0
            guard version == SchemaVersion.current else {
                throw DiaryValidationError(field: "v", message: "\(SchemaError.unsupportedVersion(version))")
            }
        }
        guard let kindText = try top.string("kind") else {
            throw DiaryValidationError(field: "kind", message: "kind is required; allowed: \(DiaryRules.list(DiaryEntry.Kind.self))")
        }
        let kind = try DiaryRules.kind(kindText)
        var shift = 0.0
        if let sentAt = try top.double("sentAt") { shift = try clockCorrection(sentAt: sentAt, now: now) }
        let entryId = try top.string("entryId").map { (text) throws(DiaryValidationError) in
            try DiaryRules.uuid(text, field: "entryId", what: "an entry id")
        } ?? UUID()
        var entry = DiaryEntry(entryId: entryId, recordedAt: try top.double("recordedAt").map { $0 + shift } ?? now,
                               via: try top.string("via") ?? defaultVia, kind: kind)
        for other in DiaryEntry.Kind.allCases where other != kind && json[other.rawValue] != nil && !(json[other.rawValue] is NSNull) {
            throw DiaryValidationError(field: other.rawValue,
                                       message: "entry has a '\(other.rawValue)' record but kind is '\(kind.rawValue)'; send exactly one record, the one kind names")
        }
        guard let recordJSON = json[kind.rawValue] as? [String: Any] else {
            throw DiaryValidationError(field: kind.rawValue, message: "kind '\(kind.rawValue)' needs a '\(kind.rawValue)' object")
        }
        let r = Fields(recordJSON, path: kind.rawValue)
        switch kind {
        case .spasm:
            guard let typeText = try r.string("type") else {
                throw r.missing("type", "allowed: \(DiaryRules.list(SpasmType.self))")
            }
            guard let severity = try r.int("severity") else {
                throw r.missing("severity", "1 mild, 2 moderate, 3 severe")
            }
            entry.spasm = SpasmRecord(
                at: try r.double("at").map { $0 + shift } ?? now,
                durationSeconds: try r.double("durationSeconds"),
                site: try r.string("site").map { (t) throws(DiaryValidationError) in try DiaryRules.site(t) },
                type: try DiaryRules.spasmType(typeText),
                severity: severity,
                pain: try r.int("pain"),
                triggers: try r.strings("triggers").map { (t) throws(DiaryValidationError) in try DiaryRules.trigger(t) },
                triggerNote: try r.string("triggerNote"),
                effects: try r.strings("effects").map { (t) throws(DiaryValidationError) in try DiaryRules.effect(t) },
                note: try r.string("note"))
        case .checkin:
            guard let nrs = try r.int("nrs") else { throw r.missing("nrs", "0–10, spasticity over the last 24 hours") }
            entry.checkin = CheckIn(at: try r.double("at").map { $0 + shift } ?? now, nrs: nrs, psfs: try r.int("psfs"),
                                    sleepQuality: try r.int("sleepQuality"))
        case .medication:
            guard let name = try r.string("name") else { throw r.missing("name", "e.g. baclofen") }
            entry.medication = MedicationRecord(
                at: try r.double("at").map { $0 + shift } ?? now, name: try DiaryRules.medicationName(name), dose: try r.double("dose"),
                unit: try r.string("unit").map { (t) throws(DiaryValidationError) in try DiaryRules.doseUnit(t) },
                action: try r.string("action").map { (t) throws(DiaryValidationError) in try DiaryRules.medicationAction(t) } ?? .taken,
                regimen: try r.string("regimen").map { (t) throws(DiaryValidationError) in try DiaryRules.regimen(t) } ?? .regular,
                supplement: try r.bool("supplement") ?? false)
        case .exercise:
            guard let activity = try r.string("activity") else { throw r.missing("activity", "e.g. stretching, walking, physio") }
            guard let minutes = try r.double("minutes") else { throw r.missing("minutes", "1–600") }
            entry.exercise = ExerciseRecord(at: try r.double("at").map { $0 + shift } ?? now, activity: try DiaryRules.activity(activity), minutes: minutes)
        case .relapse:
            guard let phase = try r.string("phase") else { throw r.missing("phase", "allowed: start, end") }
            entry.relapse = RelapseRecord(
                at: try r.double("at").map { $0 + shift } ?? now, phase: try DiaryRules.relapsePhase(phase),
                markedBy: try r.string("markedBy").map { (t) throws(DiaryValidationError) in try DiaryRules.markedBy(t) } ?? .person,
                note: try r.string("note"))
        case .correction:
            guard let target = try r.string("targetEntryId") else { throw r.missing("targetEntryId", "the id of the entry to correct") }
            entry.correction = CorrectionRecord(
                targetEntryId: try DiaryRules.uuid(target, field: "correction.targetEntryId", what: "an entry id"),
                action: try r.string("action").map { (t) throws(DiaryValidationError) in try DiaryRules.correctionAction(t) } ?? .retract,
                replacementEntryId: try r.string("replacementEntryId").map { (t) throws(DiaryValidationError) in
                    try DiaryRules.uuid(t, field: "correction.replacementEntryId", what: "an entry id")
                })
        case .confirmation:
            guard let episode = try r.string("episodeId") else { throw r.missing("episodeId", "the detected episode's id") }
            guard let wasSpasm = try r.bool("wasSpasm") else { throw r.missing("wasSpasm", "true or false") }
            entry.confirmation = EpisodeConfirmation(
                episodeId: try DiaryRules.uuid(episode, field: "confirmation.episodeId", what: "an episode id"),
                wasSpasm: wasSpasm, note: try r.string("note"))
        }
        try DiaryValidator.validate(entry, now: now)
        return entry
    }

    /// Seconds to add to a device's times, from its `sentAt`: 0 within `trustedClockSkew`;
    /// beyond `maxClockCorrection` (or for milliseconds), an error that names `sentAt`.
    public static func clockCorrection(sentAt: Double, now: Double) throws(DiaryValidationError) -> Double {
        guard sentAt.isFinite, sentAt < 1e11 else {
            throw DiaryValidationError(field: "sentAt",
                                       message: "sentAt \(DiaryRules.number(sentAt)) looks like milliseconds; give Unix seconds (UTC)")
        }
        let offset = sentAt - now
        if abs(offset) <= trustedClockSkew { return 0 }
        guard abs(offset) <= maxClockCorrection else {
            let hours = (abs(offset) / 3600).rounded(.down)
            let amount = hours < 48 ? "\(Int(hours)) hours" : "\(DiaryRules.number((abs(offset) / 86_400).rounded(.down))) days"
            throw DiaryValidationError(
                field: "sentAt",
                message: "sentAt says this device's clock is \(amount) \(offset > 0 ? "ahead of" : "behind") the server's; "
                    + "a clock is corrected by at most \(Int(maxClockCorrection / 3600)) hours: set the device's date and time, then send the entry again")
        }
        return -offset
    }

    /// Typed access to one JSON object's fields, with errors that name the field.
    struct Fields {
        let json: [String: Any]
        let path: String

        init(_ json: [String: Any], path: String) {
            self.json = json
            self.path = path
        }

        func full(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        func missing(_ key: String, _ hint: String) -> DiaryValidationError {
            DiaryValidationError(field: full(key), message: "\(key) is required (\(hint))")
        }

        func value(_ key: String) -> Any? {
            guard let v = json[key], !(v is NSNull) else { return nil }
            return v
        }

        func wrong(_ key: String, _ expected: String, _ got: Any) -> DiaryValidationError {
            let shown: String
            if let s = got as? String { shown = "\"\(s)\"" } else { shown = "\(got)" }
            return DiaryValidationError(field: full(key), message: "\(key) must be \(expected); got \(shown)")
        }

        static func isBool(_ v: Any) -> Bool {
            // JSONSerialization hands true/false over as the boolean NSNumber class.
            guard let n = v as? NSNumber else { return false }
            return type(of: n) == type(of: NSNumber(value: true))
        }

        func string(_ key: String) throws(DiaryValidationError) -> String? {
            guard let v = value(key) else { return nil }
            guard let s = v as? String else { throw wrong(key, "text", v) }
            return s
        }

        func double(_ key: String) throws(DiaryValidationError) -> Double? {
            guard let v = value(key) else { return nil }
            guard !Self.isBool(v), let n = v as? NSNumber else { throw wrong(key, "a number", v) }
            return n.doubleValue
        }

        func int(_ key: String) throws(DiaryValidationError) -> Int? {
            guard let d = try double(key) else { return nil }
            guard d == d.rounded(), abs(d) < 1e9 else { throw wrong(key, "a whole number", d) }
            return Int(d)
        }

        func bool(_ key: String) throws(DiaryValidationError) -> Bool? {
            guard let v = value(key) else { return nil }
            guard Self.isBool(v), let b = v as? Bool else { throw wrong(key, "true or false", v) }
            return b
        }

        func strings(_ key: String) throws(DiaryValidationError) -> [String] {
            guard let v = value(key) else { return [] }
            guard let list = v as? [Any] else { throw wrong(key, "a list of text", v) }
            var out: [String] = []
            for item in list {
                guard let s = item as? String else { throw wrong(key, "a list of text", item) }
                out.append(s)
            }
            return out
        }
    }
}
