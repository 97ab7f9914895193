import Foundation
import SpasmErrors
import SpasmSchema

/// Reads a diary entry from JSON sent by a person's device (the phone page, `POST /api/entries`,
/// an integration) with JSONDecoder, field by field, and turns every problem into the same
/// sentences `DiaryRules` gives the CLI (naming the field), instead of Codable's generic
/// decoding errors.
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
    public static func parse(
        _ data: Data, via defaultVia: String,
        now: Double = Date().timeIntervalSince1970
    ) throws(SpasmError) -> DiaryEntry {
        // JSONDecoder refuses NaN and 1e309 as "not valid JSON", naming no field.
        // One outside any object (malformed text) names no field: the errors below say more.
        if let bad = NonFiniteNumbers.first(in: data), !bad.field.isEmpty { throw SpasmError.diaryInvalid(field: bad.field, bad.message) }
        // JSONDecoder checks a string's escapes and a number's digits only when it reads that
        // value, so text that is not JSON is refused first, whole, as it always was.
        if let problem = JSONTextProblem.syntax(data) {
            throw SpasmError.diaryInvalid(field: nil, "the request body is not valid JSON: \(problem)")
        }
        let decoder = JSONDecoder()
        decoder.userInfo[Body.context] = Body.Context(via: defaultVia, now: now)
        do {
            return try decoder.decode(Body.self, from: data).entry
        } catch let refusal as SpasmError where refusal.code == .diaryInvalid {
            throw refusal
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw SpasmError.diaryInvalid(field: nil, "the request body must be a JSON object, e.g. {\"kind\":\"spasm\",\"spasm\":{…}}")
        } catch {
            throw SpasmError.diaryInvalid(field: nil, "the request body is not valid JSON")
        }
    }

    /// The request body as JSONDecoder hands it over: one object, read field by field in the
    /// order the rules are checked (so the first problem is the one named).
    struct Body: Decodable {
        struct Context: Sendable {
            let via: String
            let now: Double
        }
        static let context = CodingUserInfoKey(rawValue: "spasmwatch.diaryEntry")!
        let entry: DiaryEntry

        init(from decoder: any Decoder) throws {
            guard let context = decoder.userInfo[Self.context] as? Context else {
                preconditionFailure("DiaryEntryParser.Body is decoded only by DiaryEntryParser.parse")
            }
            let top = Fields(try decoder.container(keyedBy: FieldKey.self), path: "")
            entry = try DiaryEntryParser.entry(top, via: context.via, now: context.now)
        }
    }

    static func entry(_ top: Fields, via defaultVia: String, now: Double) throws(SpasmError) -> DiaryEntry {
        // `v` is optional here (the page sends none); when given it must be this build's version.
        if top.has("v") {
            guard !top.isString("v") else {
                throw SpasmError.diaryInvalid(
                    field: "v", "'v' must be the number \(SchemaVersion.current), not a string: send \"v\":\(SchemaVersion.current)")
            }
            let version = try top.int("v") ?? 0
            guard version == SchemaVersion.current else {
                throw SpasmError.diaryInvalid(field: "v", "\(SpasmError.schemaUnsupportedVersion(version))")
            }
        }
        guard let kindText = try top.string("kind") else {
            throw SpasmError.diaryInvalid(field: "kind", "kind is required; allowed: \(DiaryRules.list(DiaryEntry.Kind.self))")
        }
        let kind = try DiaryRules.kind(kindText)
        var shift = 0.0
        if let sentAt = try top.double("sentAt") { shift = try clockCorrection(sentAt: sentAt, now: now) }
        let entryId =
            try top.string("entryId").map { (text) throws(SpasmError) in
                try DiaryRules.uuid(text, field: "entryId", what: "an entry id")
            } ?? UUID()
        var entry = DiaryEntry(
            entryId: entryId, recordedAt: try top.double("recordedAt").map { $0 + shift } ?? now,
            via: try top.string("via") ?? defaultVia, kind: kind)
        for other in DiaryEntry.Kind.allCases where other != kind && top.has(other.rawValue) {
            throw SpasmError.diaryInvalid(
                field: other.rawValue,
                "entry has a '\(other.rawValue)' record but kind is '\(kind.rawValue)'; send exactly one record, the one kind names")
        }
        guard let r = top.object(kind.rawValue) else {
            throw SpasmError.diaryInvalid(field: kind.rawValue, "kind '\(kind.rawValue)' needs a '\(kind.rawValue)' object")
        }
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
                site: try r.string("site").map { (t) throws(SpasmError) in try DiaryRules.site(t) },
                type: try DiaryRules.spasmType(typeText),
                severity: severity,
                pain: try r.int("pain"),
                triggers: try r.strings("triggers").map { (t) throws(SpasmError) in try DiaryRules.trigger(t) },
                triggerNote: try r.string("triggerNote"),
                effects: try r.strings("effects").map { (t) throws(SpasmError) in try DiaryRules.effect(t) },
                note: try r.string("note"))
        case .checkin:
            guard let nrs = try r.int("nrs") else { throw r.missing("nrs", "0–10, spasticity over the last 24 hours") }
            entry.checkin = CheckIn(
                at: try r.double("at").map { $0 + shift } ?? now, nrs: nrs, psfs: try r.int("psfs"),
                sleepQuality: try r.int("sleepQuality"))
        case .medication:
            guard let name = try r.string("name") else { throw r.missing("name", "e.g. baclofen") }
            entry.medication = MedicationRecord(
                at: try r.double("at").map { $0 + shift } ?? now, name: try DiaryRules.medicationName(name), dose: try r.double("dose"),
                unit: try r.string("unit").map { (t) throws(SpasmError) in try DiaryRules.doseUnit(t) },
                action: try r.string("action").map { (t) throws(SpasmError) in try DiaryRules.medicationAction(t) } ?? .taken,
                regimen: try r.string("regimen").map { (t) throws(SpasmError) in try DiaryRules.regimen(t) } ?? .regular,
                supplement: try r.bool("supplement") ?? false)
        case .exercise:
            guard let activity = try r.string("activity") else { throw r.missing("activity", "e.g. stretching, walking, physio") }
            guard let minutes = try r.double("minutes") else { throw r.missing("minutes", "1–600") }
            entry.exercise = ExerciseRecord(
                at: try r.double("at").map { $0 + shift } ?? now, activity: try DiaryRules.activity(activity), minutes: minutes)
        case .relapse:
            guard let phase = try r.string("phase") else { throw r.missing("phase", "allowed: start, end") }
            entry.relapse = RelapseRecord(
                at: try r.double("at").map { $0 + shift } ?? now, phase: try DiaryRules.relapsePhase(phase),
                markedBy: try r.string("markedBy").map { (t) throws(SpasmError) in try DiaryRules.markedBy(t) } ?? .person,
                note: try r.string("note"))
        case .correction:
            guard let target = try r.string("targetEntryId") else { throw r.missing("targetEntryId", "the id of the entry to correct") }
            entry.correction = CorrectionRecord(
                targetEntryId: try DiaryRules.uuid(target, field: "correction.targetEntryId", what: "an entry id"),
                action: try r.string("action").map { (t) throws(SpasmError) in try DiaryRules.correctionAction(t) } ?? .retract,
                replacementEntryId: try r.string("replacementEntryId").map { (t) throws(SpasmError) in
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
    public static func clockCorrection(sentAt: Double, now: Double) throws(SpasmError) -> Double {
        guard sentAt.isFinite, sentAt < 1e11 else {
            throw SpasmError.diaryInvalid(
                field: "sentAt",
                "sentAt \(DiaryRules.number(sentAt)) looks like milliseconds; give Unix seconds (UTC)")
        }
        let offset = sentAt - now
        if abs(offset) <= trustedClockSkew { return 0 }
        guard abs(offset) <= maxClockCorrection else {
            let hours = (abs(offset) / 3600).rounded(.down)
            let amount = hours < 48 ? "\(Int(hours)) hours" : "\(DiaryRules.number((abs(offset) / 86_400).rounded(.down))) days"
            throw SpasmError.diaryInvalid(
                field: "sentAt",
                "sentAt says this device's clock is \(amount) \(offset > 0 ? "ahead of" : "behind") the server's; "
                    + "a clock is corrected by at most \(Int(maxClockCorrection / 3600)) hours: set the device's date and time, then send the entry again"
            )
        }
        return -offset
    }

    struct FieldKey: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// Typed access to one JSON object's fields (JSONDecoder's keyed container), with errors
    /// that name the field. A field that is null counts as absent.
    struct Fields {
        let container: KeyedDecodingContainer<FieldKey>
        let path: String

        init(_ container: KeyedDecodingContainer<FieldKey>, path: String) {
            self.container = container
            self.path = path
        }

        func full(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        func missing(_ key: String, _ hint: String) -> SpasmError {
            SpasmError.diaryInvalid(field: full(key), "\(key) is required (\(hint))")
        }

        /// Present and not null.
        func has(_ key: String) -> Bool {
            container.contains(FieldKey(key)) && (try? container.decodeNil(forKey: FieldKey(key))) == false
        }

        func isString(_ key: String) -> Bool { (try? container.decode(String.self, forKey: FieldKey(key))) != nil }

        func wrong(_ key: String, _ expected: String, _ got: String) -> SpasmError {
            SpasmError.diaryInvalid(field: full(key), "\(key) must be \(expected); got \(got)")
        }

        /// What the field holds, for a sentence: `"two"`, `2.5`, `true`, `[1, 2]`.
        func shown(_ key: String) -> String { (try? container.decode(Shown.self, forKey: FieldKey(key)))?.text ?? "?" }

        func value<T: Decodable>(_ type: T.Type, _ key: String, expected: String) throws(SpasmError) -> T? {
            guard has(key) else { return nil }
            guard let value = try? container.decode(T.self, forKey: FieldKey(key)) else { throw wrong(key, expected, shown(key)) }
            return value
        }

        func string(_ key: String) throws(SpasmError) -> String? { try value(String.self, key, expected: "text") }

        func double(_ key: String) throws(SpasmError) -> Double? { try value(Double.self, key, expected: "a number") }

        func int(_ key: String) throws(SpasmError) -> Int? {
            guard let d = try double(key) else { return nil }
            guard d == d.rounded(), abs(d) < 1e9 else { throw wrong(key, "a whole number", "\(d)") }
            return Int(d)
        }

        func bool(_ key: String) throws(SpasmError) -> Bool? { try value(Bool.self, key, expected: "true or false") }

        func strings(_ key: String) throws(SpasmError) -> [String] {
            guard has(key) else { return [] }
            guard var list = try? container.nestedUnkeyedContainer(forKey: FieldKey(key)) else {
                throw wrong(key, "a list of text", shown(key))
            }
            var out: [String] = []
            while !list.isAtEnd {
                if let s = try? list.decode(String.self) {
                    out.append(s)
                } else {
                    throw wrong(key, "a list of text", (try? list.decode(Shown.self))?.text ?? "?")
                }
            }
            return out
        }

        /// The nested object `key`, or nil when it is absent, null or not an object.
        func object(_ key: String) -> Fields? {
            guard has(key), let nested = try? container.nestedContainer(keyedBy: FieldKey.self, forKey: FieldKey(key)) else { return nil }
            return Fields(nested, path: full(key))
        }
    }

    /// Any JSON value as a short text for an error sentence (strings quoted, containers cut
    /// after `limit` characters, so a refusal does not carry a long input back).
    struct Shown: Decodable {
        static let limit = 64
        let text: String

        init(from decoder: any Decoder) throws {
            if var list = try? decoder.unkeyedContainer() {
                var items: [String] = []
                while !list.isAtEnd, items.joined().count < Self.limit { items.append(try list.decode(Shown.self).text) }
                text = Self.cut("[" + items.joined(separator: ", ") + (list.isAtEnd ? "]" : ", …]"))
            } else if let object = try? decoder.container(keyedBy: FieldKey.self) {
                var members: [String] = []
                for key in object.allKeys where members.joined().count < Self.limit {
                    members.append("\"\(key.stringValue)\": \(try object.decode(Shown.self, forKey: key).text)")
                }
                text = Self.cut("{" + members.joined(separator: ", ") + (members.count < object.allKeys.count ? ", …}" : "}"))
            } else {
                let value = try decoder.singleValueContainer()
                if value.decodeNil() {
                    text = "null"
                } else if let b = try? value.decode(Bool.self) {
                    text = "\(b)"
                } else if let d = try? value.decode(Double.self) {
                    text = DiaryRules.number(d)
                } else {
                    text = "\"\(try value.decode(String.self))\""
                }
            }
        }

        static func cut(_ text: String) -> String { text.count > 2 * limit ? String(text.prefix(2 * limit)) + "…" : text }
    }
}
