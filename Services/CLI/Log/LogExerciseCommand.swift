import ArgumentParser
import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// `spasmwatch log exercise KIND LENGTH`.
struct LogExerciseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exercise",
        abstract: "An exercise session: what, how long.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "What, e.g. stretching, walking, physio.")
    var activity: String

    @Argument(help: "How long, e.g. 20m, 1h (a bare number is minutes).")
    var length: String

    @Option(help: "When (default now).")
    var at: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await SpasmError.reportingDiary {
            let record = ExerciseRecord(
                at: try DiaryInput.time(at, clock: connection.clock),
                activity: try DiaryRules.activity(activity), minutes: try Quantities.minutes(length))
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .exercise, exercise: record)
            connection.report(try await connection.save(entry), entry: entry)
        }
    }
}
