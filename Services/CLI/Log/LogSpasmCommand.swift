import ArgumentParser
import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// `spasmwatch log spasm`.
struct LogSpasmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasm",
        abstract: "A spasm or cramp: where, what kind, how bad.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Body site, e.g. left-calf, right-foot, back, both-legs.")
    var site: String?

    @Option(help: "tonic, phasic, clonus, cramp or unsure.")
    var type: String?

    @Option(help: "1 mild, 2 moderate, 3 severe (PSFS); the words work too.")
    var severity: String?

    @Option(help: "Pain 0–10.")
    var pain: String?

    @Option(help: "How long, e.g. 45s, 2m, 1m30s.")
    var duration: String?

    @Option(help: "When, local time: 03:10, \"yesterday 22:00\", \"2026-11-24 22:00\", \"20m ago\" (default now).")
    var at: String?

    @Option(
        help: "What brought it on (repeatable or comma-separated): heat, cold, stress, tiredness, infection, bladder, posture, stretch, inactivity.")
    var trigger: [String] = []

    @Option(help: "Another trigger, in your own words.")
    var triggerNote: String?

    @Option(
        name: [.customLong("caused"), .customLong("effect")],
        help: "What it caused (repeatable): fall, dropped-something, woke-me, none.")
    var caused: [String] = []

    @Option(help: "A note.")
    var note: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await SpasmError.reportingDiary {
            guard let type else { throw SpasmError(.diary, "type is required; allowed: tonic, phasic, clonus, cramp, unsure") }
            guard let severity else { throw SpasmError(.diary, "severity is required (1 mild, 2 moderate, 3 severe)") }
            let record = SpasmRecord(
                at: try DiaryInput.time(at, clock: connection.clock),
                durationSeconds: try duration.map { (t) throws(SpasmError) in try Quantities.duration(t) },
                site: try site.map { (t) throws(SpasmError) in try DiaryRules.site(t) },
                type: try DiaryRules.spasmType(type),
                severity: try DiaryInput.severity(severity),
                pain: try pain.map { (t) throws(SpasmError) in try DiaryInput.pain(t) },
                triggers: try DiaryInput.triggers(trigger),
                triggerNote: triggerNote,
                effects: try DiaryInput.effects(caused),
                note: note)
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .spasm, spasm: record)
            connection.report(try await connection.save(entry), entry: entry)
        }
    }
}
