import Foundation
import SpasmDiaryRules
import SpasmSchema
import Testing

/// Every entry type survives the wire unchanged (envelope encode → decode).
@Suite("Diary entries round-trip")
struct RoundTripTests {
    static let t = 1_764_072_000.0
    static let target = UUID(uuidString: "0A1B2C3D-0000-4000-8000-000000000001")!

    static let entries: [DiaryEntry] = [
        DiaryEntry(
            recordedAt: t, via: "cli", kind: .spasm,
            spasm: SpasmRecord(
                at: t - 600, durationSeconds: 45, site: .leftCalf, type: .tonic, severity: 2, pain: 6,
                triggers: [.heat, .stress], triggerNote: "hot bath", effects: [.fall, .wokeMe], note: "3 a.m.")),
        DiaryEntry(recordedAt: t, via: "web", kind: .spasm, spasm: SpasmRecord(at: t, type: .unsure, severity: 1)),
        DiaryEntry(recordedAt: t, via: "cli", kind: .checkin, checkin: CheckIn(at: t, nrs: 5, psfs: 2, sleepQuality: 6)),
        DiaryEntry(recordedAt: t, via: "cli", kind: .checkin, checkin: CheckIn(at: t, nrs: 0)),
        DiaryEntry(
            recordedAt: t, via: "cli", kind: .medication,
            medication: MedicationRecord(at: t, name: "baclofen", dose: 10, unit: "mg", action: .taken, regimen: .regular)),
        DiaryEntry(
            recordedAt: t, via: "cli", kind: .medication,
            medication: MedicationRecord(
                at: t, name: "vitamin D", dose: 1000, unit: "IU", action: .started,
                regimen: .asNeeded, supplement: true)),
        DiaryEntry(recordedAt: t, via: "cli", kind: .exercise, exercise: ExerciseRecord(at: t, activity: "stretching", minutes: 20)),
        DiaryEntry(recordedAt: t, via: "cli", kind: .relapse, relapse: RelapseRecord(at: t, phase: .start, markedBy: .clinician, note: "MRI")),
        DiaryEntry(recordedAt: t, via: "cli", kind: .correction, correction: CorrectionRecord(targetEntryId: target, action: .retract)),
        DiaryEntry(
            recordedAt: t, via: "cli", kind: .correction,
            correction: CorrectionRecord(targetEntryId: target, action: .replace, replacementEntryId: UUID())),
        DiaryEntry(
            recordedAt: t, via: "web", kind: .confirmation,
            confirmation: EpisodeConfirmation(episodeId: target, wasSpasm: false, note: "I was dancing")),
    ]

    @Test(arguments: entries)
    func envelopeRoundTrip(_ entry: DiaryEntry) throws {
        let header = EnvelopeHeader(type: DiaryEntry.messageType, id: entry.entryId, source: "manual", epoch: 3, seq: 9, time: Self.t)
        let data = try WireCodec.encodeEnvelope(Envelope(header: header, body: entry))
        let back = try WireCodec.decode(DiaryEntry.self, from: data)
        #expect(back.body == entry)
        #expect(back.header.id == entry.entryId)
        try DiaryValidator.validate(entry, now: Self.t)
    }

    /// The JSON API reads the wire body as it is: the parser gives back the same entry.
    @Test(arguments: entries)
    func parserReadsTheWireBody(_ entry: DiaryEntry) throws {
        let parsed = try DiaryEntryParser.parse(try WireCodec.encode(entry), via: "other", now: Self.t)
        #expect(parsed == entry)
    }
}
