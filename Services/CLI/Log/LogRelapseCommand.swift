import ArgumentParser
import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// `spasmwatch log relapse start|end`.
struct LogRelapseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relapse",
        abstract: "The start or end of a relapse or flare-up.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "start or end.")
    var phase: String

    @Flag(help: "Marked by a clinician (not only by you).")
    var clinician = false

    @Option(help: "A note.")
    var note: String?

    @Option(help: "When (default now).")
    var at: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await SpasmError.reportingDiary {
            let record = RelapseRecord(
                at: try DiaryInput.time(at, clock: connection.clock), phase: try DiaryRules.relapsePhase(phase),
                markedBy: clinician ? .clinician : .person, note: note)
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .relapse, relapse: record)
            connection.report(try await connection.save(entry), entry: entry)
        }
    }
}
