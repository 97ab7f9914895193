import ArgumentParser
import Foundation
import SpasmConfig
import SpasmDiary
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// `spasmwatch log …`: write a diary entry. Bare `spasmwatch log` in a terminal asks its
/// questions one by one.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Write a diary entry (a spasm, a check-in, medication, exercise, a relapse). Without a subcommand, asks step by step.",
        discussion: """
            Examples:
              spasmwatch log spasm --site left-calf --type tonic --severity 2 --pain 6 --duration 45s
              spasmwatch log spasm --site right-foot --type phasic --severity 3 --at "yesterday 22:00" --caused fall
              spasmwatch log checkin --nrs 5 --psfs 2 --sleep 6
              spasmwatch log med baclofen 10mg
              spasmwatch log med baclofen 15mg --change
              spasmwatch log exercise stretching 20m
              spasmwatch log relapse start
            Times are the home's local time (config `timeZone`, else the system's).
            """,
        subcommands: [
            LogSpasmCommand.self, LogCheckinCommand.self, LogMedicationCommand.self,
            LogExerciseCommand.self, LogRelapseCommand.self,
        ])

    @OptionGroup var options: CommonOptions

    @Flag(help: .hidden)
    var interactive = false

    func run() async throws {
        guard interactive || isatty(STDIN_FILENO) == 1 else {
            throw ValidationError(
                "no entry kind given: use spasmwatch log spasm|checkin|med|exercise|relapse … (or run it in a terminal to be asked)")
        }
        let connection = try DiaryConnection(options: options)
        try await SpasmError.reportingDiary {
            guard let entry = try Interview(clock: connection.clock).run() else {
                print("nothing saved")
                return
            }
            connection.report(try await connection.save(entry), entry: entry)
        }
    }
}
