import Foundation
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema
import Testing

/// Each validation rule, through the JSON API's parser (what the phone page and
/// `POST /api/entries` use): the exact sentence and the field it names.
@Suite("Diary validation rules")
struct ValidationRuleTests {
    static let now = 1_764_072_000.0

    struct Case: CustomTestStringConvertible, Sendable {
        let json: String
        /// nil: the body as a whole is wrong, no field is named.
        let field: String?
        let message: String
        var testDescription: String { (field ?? "body") + ": " + message.prefix(40) }
    }

    static let sites = BodySite.allCases.map(\.rawValue).joined(separator: ", ")

    static let cases: [Case] = [
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":4}}"#, field: "spasm.severity",
            message: "severity 4 is outside 1–3 (PSFS: 1 mild, 2 moderate, 3 severe)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":0}}"#, field: "spasm.severity",
            message: "severity 0 is outside 1–3 (PSFS: 1 mild, 2 moderate, 3 severe)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":"two"}}"#, field: "spasm.severity",
            message: "severity must be a number; got \"two\""),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2.5}}"#, field: "spasm.severity",
            message: "severity must be a whole number; got 2.5"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic"}}"#, field: "spasm.severity",
            message: "severity is required (1 mild, 2 moderate, 3 severe)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"severity":2}}"#, field: "spasm.type",
            message: "type is required (allowed: tonic, phasic, clonus, cramp, unsure)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"twitch","severity":2}}"#, field: "spasm.type",
            message: "type 'twitch' is not a spasm type; allowed: tonic, phasic, clonus, cramp, unsure"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"pain":11}}"#, field: "spasm.pain",
            message: "pain 11 is outside 0–10 (0 no pain, 10 worst imaginable)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"site":"elbow"}}"#, field: "spasm.site",
            message: "site 'elbow' is not a body site; allowed: \(sites)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"site":"left-cafl"}}"#, field: "spasm.site",
            message: "site 'left-cafl' is not a body site (did you mean left-calf?); allowed: \(sites)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"triggers":["rain"]}}"#, field: "spasm.triggers",
            message:
                "trigger 'rain' is not on the list; allowed: heat, cold, stress, tiredness, infection, bladder, posture, stretch, inactivity (anything else goes in the trigger note)"
        ),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"effects":["tears"]}}"#, field: "spasm.effects",
            message: "caused 'tears' is not on the list; allowed: fall, dropped-something, woke-me, none"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"effects":["none","fall"]}}"#, field: "spasm.effects",
            message: "caused 'none' cannot be combined with fall"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"durationSeconds":0}}"#, field: "spasm.durationSeconds",
            message: "duration 0s is outside 1 second–24 hours (e.g. 45s, 2m, 1h)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"at":1764075600}}"#, field: "spasm.at",
            message: "at is 60 minutes in the future; a diary entry records what has already happened"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"at":3600}}"#, field: "spasm.at",
            message: "at 3600 is before 2000-01-01; give Unix seconds (UTC)"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"note":"\#(String(repeating: "x", count: 2001))"}}"#,
            field: "spasm.note", message: "note is 2001 characters; allowed: up to 2000"),
        Case(
            json: #"{"kind":"checkin","checkin":{"nrs":11}}"#, field: "checkin.nrs",
            message: "nrs 11 is outside 0–10 (spasticity over the last 24 hours: 0 none, 10 worst imaginable)"),
        Case(
            json: #"{"kind":"checkin","checkin":{}}"#, field: "checkin.nrs",
            message: "nrs is required (0–10, spasticity over the last 24 hours)"),
        Case(
            json: #"{"kind":"checkin","checkin":{"nrs":5,"psfs":5}}"#, field: "checkin.psfs",
            message:
                "psfs 5 is outside 0–4 (PSFS frequency: 0 none, 1 only when stimulated, 2 less than once an hour, 3 once an hour or more, 4 more than 10 an hour)"
        ),
        Case(
            json: #"{"kind":"checkin","checkin":{"nrs":5,"sleepQuality":11}}"#, field: "checkin.sleepQuality",
            message: "sleep 11 is outside 0–10 (sleep quality: 0 very poor, 10 very good)"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"  "}}"#, field: "medication.name",
            message: "medication name is empty; give the medicine or supplement, e.g. baclofen"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","dose":0,"unit":"mg"}}"#, field: "medication.dose",
            message: "dose 0 is outside the allowed range: more than 0, up to 100000 (e.g. 10mg)"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","dose":10,"unit":"spoons"}}"#, field: "medication.unit",
            message: "unit 'spoons' is not a dose unit; allowed: mg, mcg, g, ml, IU, tablet, capsule, drop, puff, sachet"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","dose":10}}"#, field: "medication.unit",
            message: "dose 10 needs a unit; allowed: mg, mcg, g, ml, IU, tablet, capsule, drop, puff, sachet"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","unit":"mg"}}"#, field: "medication.dose",
            message: "unit 'mg' was given without a dose (e.g. 10mg)"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","action":"changed"}}"#, field: "medication.dose",
            message: "a changed medication needs the new dose (e.g. 15mg)"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","action":"doubled"}}"#, field: "medication.action",
            message: "action 'doubled' is not a medication action; allowed: taken, started, stopped, changed"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","regimen":"daily"}}"#, field: "medication.regimen",
            message: "regimen 'daily' is not a regimen; allowed: regular, short-course, as-needed"),
        Case(
            json: #"{"kind":"medication","medication":{"name":"baclofen","supplement":"yes"}}"#, field: "medication.supplement",
            message: "supplement must be true or false; got \"yes\""),
        Case(
            json: #"{"kind":"exercise","exercise":{"activity":"","minutes":20}}"#, field: "exercise.activity",
            message: "exercise activity is empty; e.g. stretching, walking, physio"),
        Case(
            json: #"{"kind":"exercise","exercise":{"activity":"walking","minutes":0}}"#, field: "exercise.minutes",
            message: "minutes 0 is outside 1–600 (e.g. 20m, 1h)"),
        Case(
            json: #"{"kind":"relapse","relapse":{"phase":"middle"}}"#, field: "relapse.phase",
            message: "phase 'middle' is not a relapse phase; allowed: start, end"),
        Case(
            json: #"{"kind":"relapse","relapse":{"phase":"start","markedBy":"nurse"}}"#, field: "relapse.markedBy",
            message: "markedBy 'nurse' is not allowed; allowed: person, clinician"),
        Case(
            json: #"{"kind":"correction","correction":{"targetEntryId":"0a1b2c3d-0000-4000-8000-000000000001","action":"erase"}}"#,
            field: "correction.action", message: "action 'erase' is not a correction action; allowed: retract, replace"),
        Case(
            json: #"{"kind":"correction","correction":{"targetEntryId":"0a1b2c3d-0000-4000-8000-000000000001","action":"replace"}}"#,
            field: "correction.replacementEntryId",
            message: "action 'replace' needs replacementEntryId, the entry that takes the target's place"),
        Case(
            json:
                #"{"kind":"correction","correction":{"targetEntryId":"0a1b2c3d-0000-4000-8000-000000000001","replacementEntryId":"0a1b2c3d-0000-4000-8000-000000000002"}}"#,
            field: "correction.replacementEntryId", message: "action 'retract' takes no replacementEntryId (use action 'replace')"),
        Case(
            json:
                #"{"entryId":"0a1b2c3d-0000-4000-8000-000000000001","kind":"correction","correction":{"targetEntryId":"0a1b2c3d-0000-4000-8000-000000000001"}}"#,
            field: "correction.targetEntryId", message: "a correction cannot name its own entry id as its target"),
        Case(
            json: #"{"kind":"correction","correction":{"targetEntryId":"1d6a"}}"#, field: "correction.targetEntryId",
            message: "targetEntryId '1d6a' is not an entry id (a UUID)"),
        Case(
            json: #"{"kind":"confirmation","confirmation":{"episodeId":"xyz","wasSpasm":true}}"#, field: "confirmation.episodeId",
            message: "episodeId 'xyz' is not an episode id (a UUID)"),
        Case(
            json: #"{"kind":"confirmation","confirmation":{"episodeId":"0a1b2c3d-0000-4000-8000-000000000001"}}"#,
            field: "confirmation.wasSpasm", message: "wasSpasm is required (true or false)"),
        Case(
            json: #"{"kind":"nap"}"#, field: "kind",
            message: "kind 'nap' is not an entry kind; allowed: spasm, checkin, medication, exercise, relapse, correction, confirmation"),
        Case(
            json: #"{"spasm":{}}"#, field: "kind",
            message: "kind is required; allowed: spasm, checkin, medication, exercise, relapse, correction, confirmation"),
        Case(json: #"{"kind":"spasm"}"#, field: "spasm", message: "kind 'spasm' needs a 'spasm' object"),
        Case(
            json: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2},"checkin":{"nrs":3}}"#, field: "checkin",
            message: "entry has a 'checkin' record but kind is 'spasm'; send exactly one record, the one kind names"),
        Case(
            json: #"{"entryId":"abc","kind":"checkin","checkin":{"nrs":3}}"#, field: "entryId",
            message: "entryId 'abc' is not an entry id (a UUID)"),
        Case(
            json: #"{"via":"","kind":"checkin","checkin":{"nrs":3}}"#, field: "via",
            message: "via '' must be 1–40 characters, e.g. cli, web"),
        Case(json: #"[1,2]"#, field: nil, message: "the request body must be a JSON object, e.g. {\"kind\":\"spasm\",\"spasm\":{…}}"),
        Case(json: #"{"kind":"#, field: nil, message: "the request body is not valid JSON: Unexpected end of file during JSON parse."),
        // Found by the fuzzer (Tests/Fuzz/diary/crash-0fa0…): a time this far ahead crashed the parser.
        Case(
            json: #"{"kind":"checkin","recordedAt":1e20,"checkin":{"nrs":3}}"#, field: "recordedAt",
            message: "recordedAt 1e+20 is after 2100-01-01; give Unix seconds (UTC)"),
        Case(
            json: #"{"kind":"checkin","checkin":{"nrs":3,"at":17640721844674407370955161664072100}}"#, field: "checkin.at",
            message: "at 1.7640721844674407e+34 is after 2100-01-01; give Unix seconds (UTC)"),
        // Found by the fuzzer (Tests/Fuzz/diary/crash-ae1f…): 1e309 outside any object named the field ''.
        Case(json: #"x, -1e309"#, field: nil, message: "the request body is not valid JSON: Invalid value around character 0."),
    ]

    @Test(arguments: cases)
    func ruleGivesItsExactSentence(_ c: Case) {
        #expect(throws: SpasmError.diaryInvalid(field: c.field, c.message)) {
            try DiaryEntryParser.parse(Data(c.json.utf8), via: "web", now: Self.now)
        }
    }

    /// The typed check (what the service runs on CLI entries) gives the same sentences.
    @Test func typedEntriesGetTheSameSentences() {
        let bad = DiaryEntry(
            recordedAt: Self.now, via: "cli", kind: .spasm,
            spasm: SpasmRecord(at: Self.now, type: .tonic, severity: 4))
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "spasm.severity",
                "severity 4 is outside 1–3 (PSFS: 1 mild, 2 moderate, 3 severe)")
        ) {
            try DiaryValidator.validate(bad, now: Self.now)
        }
        let missing = DiaryEntry(recordedAt: Self.now, via: "cli", kind: .checkin)
        #expect(throws: SpasmError.diaryInvalid(field: "checkin", "kind 'checkin' needs a 'checkin' record")) {
            try DiaryValidator.validate(missing, now: Self.now)
        }
        let two = DiaryEntry(
            recordedAt: Self.now, via: "cli", kind: .checkin, checkin: CheckIn(at: Self.now, nrs: 1),
            exercise: ExerciseRecord(at: Self.now, activity: "walking", minutes: 10))
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "kind",
                "entry has 'exercise' besides 'checkin'; send exactly one record, the one kind names")
        ) {
            try DiaryValidator.validate(two, now: Self.now)
        }
    }

    /// A site typed a little wrong is answered with the closest site (at most 2 edits, a
    /// swap of two letters counting as one, or the start of exactly one site's name); the
    /// whole list stays in the sentence. Nothing is suggested when two sites are as close.
    @Test(arguments: [
        ("left-cafl", "left-calf"), ("lfet calf", "left-calf"), ("Left_Clf", "left-calf"), ("leftcalf", "left-calf"),
        ("left calve", "left-calf"), ("rigth-shin", "right-shin"), ("left-ca", "left-calf"), ("right-upper", "right-upper-arm"),
        ("bak", "back"), ("nekc", "neck"), ("both-leg", "both-legs"), ("abdomin", "abdomen"),
    ])
    func aSiteTypoSuggestsTheClosestSite(typed: String, meant: String) {
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "spasm.site", "site '\(typed)' is not a body site (did you mean \(meant)?); allowed: \(Self.sites)")
        ) {
            try DiaryRules.site(typed)
        }
    }

    @Test(arguments: ["elbow", "left", "left-", "calf", "knee", "xx", "left-c-a-l-f-x"])
    func aSiteFarFromEverySiteSuggestsNothing(typed: String) {
        #expect(throws: SpasmError.diaryInvalid(field: "spasm.site", "site '\(typed)' is not a body site; allowed: \(Self.sites)")) {
            try DiaryRules.site(typed)
        }
    }

    /// A phone whose clock is an hour ahead: its times are moved back by the difference
    /// its `sentAt` shows, instead of the entry being refused as "in the future".
    @Test func aDeviceClockThatIsOffIsCorrected() throws {
        let phoneNow = Self.now + 3600
        let json =
            #"{"kind":"spasm","sentAt":\#(phoneNow),"recordedAt":\#(phoneNow - 60),"spasm":{"at":\#(phoneNow - 120),"type":"tonic","severity":1}}"#
        let entry = try DiaryEntryParser.parse(Data(json.utf8), via: "web", now: Self.now)
        #expect(entry.recordedAt == Self.now - 60)
        #expect(entry.spasm?.at == Self.now - 120)
        // Within the trusted skew, times are kept as sent.
        let close = #"{"kind":"checkin","sentAt":\#(Self.now + 5),"checkin":{"at":\#(Self.now - 300),"nrs":3}}"#
        #expect(try DiaryEntryParser.parse(Data(close.utf8), via: "web", now: Self.now).checkin?.at == Self.now - 300)
    }

    /// A clock days off is not "corrected" by days: the entry is refused, naming `sentAt`
    /// and what to do, instead of landing silently at another date.
    @Test func aCorrectionOfMoreThanADayIsRefused() throws {
        for (offset, words) in [
            (3 * 86_400.0, "3 days ahead of"), (-400 * 86_400.0, "400 days behind"),
            (30 * 3600.0, "30 hours ahead of"),
        ] {
            let phoneNow = Self.now + offset
            let json = #"{"kind":"spasm","sentAt":\#(phoneNow),"spasm":{"at":\#(phoneNow - 120),"type":"tonic","severity":1}}"#
            #expect(
                throws: SpasmError.diaryInvalid(
                    field: "sentAt",
                    "sentAt says this device's clock is \(words) the server's; a clock is corrected by at most 24 hours: set the device's date and time, then send the entry again"
                )
            ) {
                try DiaryEntryParser.parse(Data(json.utf8), via: "web", now: Self.now)
            }
        }
        // Milliseconds instead of seconds is named as such.
        let millis = #"{"kind":"checkin","sentAt":\#(Self.now * 1000),"checkin":{"nrs":3}}"#
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "sentAt", "sentAt \(DiaryRules.number(Self.now * 1000)) looks like milliseconds; give Unix seconds (UTC)")
        ) {
            try DiaryEntryParser.parse(Data(millis.utf8), via: "web", now: Self.now)
        }
        // Up to the bound the correction still applies, and the corrected time must not be ahead.
        let behind = Self.now - 23 * 3600
        let late = #"{"kind":"checkin","sentAt":\#(behind),"checkin":{"at":\#(behind - 60),"nrs":3}}"#
        #expect(try DiaryEntryParser.parse(Data(late.utf8), via: "web", now: Self.now).checkin?.at == Self.now - 60)
        let ahead = #"{"kind":"checkin","sentAt":\#(behind),"checkin":{"at":\#(behind + 3600),"nrs":3}}"#
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "checkin.at", "at is 60 minutes in the future; a diary entry records what has already happened")
        ) {
            try DiaryEntryParser.parse(Data(ahead.utf8), via: "web", now: Self.now)
        }
    }

    /// Friendly spellings are read, and written back in the wire's form.
    @Test func lenientSpellingsAreNormalised() throws {
        let entry = try DiaryEntryParser.parse(
            Data(
                #"""
                {"kind":"spasm","spasm":{"type":"Tonic","severity":2,"site":"Left Calf","effects":["woke me"],"triggers":["HEAT"]}}
                """#.utf8), via: "web", now: Self.now)
        #expect(entry.spasm?.site == .leftCalf)
        #expect(entry.spasm?.type == .tonic)
        #expect(entry.spasm?.effects == [.wokeMe])
        #expect(entry.spasm?.triggers == [.heat])
        #expect(entry.spasm?.at == Self.now)
        #expect(entry.via == "web")
        let med = try DiaryEntryParser.parse(
            Data(#"{"kind":"medication","medication":{"name":"vitamin D","dose":2,"unit":"Tablets"}}"#.utf8),
            via: "web", now: Self.now)
        #expect(med.medication?.unit == "tablet")
        #expect(med.medication?.action == .taken)
        #expect(med.medication?.regimen == .regular)
    }
}
