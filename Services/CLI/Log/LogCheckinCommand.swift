import ArgumentParser
import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// `spasmwatch log checkin`.
struct LogCheckinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkin",
        abstract: "The daily check-in: spasticity 0–10 over the last 24 hours, PSFS frequency, sleep.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Spasticity NRS 0–10 over the last 24 hours.")
    var nrs: String?

    @Option(help: "PSFS frequency: 0 none, 1 only when stimulated, 2 < 1 an hour, 3 ≥ 1 an hour, 4 > 10 an hour.")
    var psfs: String?

    @Option(help: "Sleep quality 0–10.")
    var sleep: String?

    @Option(help: "When (default now).")
    var at: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await SpasmError.reportingDiary {
            guard let nrs else { throw SpasmError(.diary, "nrs is required (0–10, spasticity over the last 24 hours)") }
            let record = CheckIn(
                at: try DiaryInput.time(at, clock: connection.clock), nrs: try DiaryInput.nrs(nrs),
                psfs: try psfs.map { (t) throws(SpasmError) in try DiaryInput.psfs(t) },
                sleepQuality: try sleep.map { (t) throws(SpasmError) in try DiaryInput.sleep(t) })
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .checkin, checkin: record)
            connection.report(try await connection.save(entry), entry: entry)
        }
    }
}
