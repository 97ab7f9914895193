import ArgumentParser
import Foundation
import SpasmErrors
import SpasmRuntime

/// `spasmwatch`: the user's command line.
@main
struct SpasmWatchCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch",
        abstract: "SpasmWatch: record, watch and understand spasms in MS.",
        subcommands: [
            StatusCommand.self, TailCommand.self, LogCommand.self, RecentCommand.self, UndoCommand.self,
            ConfirmCommand.self, EpisodesCommand.self, HistoryCommand.self, StatsCommand.self, ExportCommand.self,
            ReportCommand.self, BackupCommand.self, AckCommand.self, NotifyGroupCommand.self, SetupGroupCommand.self, SensorsCommand.self,
            SeedDemoCommand.self, KeysCommand.self, TLSCommand.self, ConfigCommand.self,
        ])

    /// As ArgumentParser's own `main`, with the data-home check (`HomeCheck`) between
    /// parsing and running, so every command finds its home the same way. A bad setting
    /// stops it as it stops a service: its one sentence on stderr, exit status 2; a file
    /// problem (`UserFiles`) is its sentence likewise, exit status 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            try HomeCheck.run(before: command)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as SpasmError where error.code.isSettingProblem {
            FileHandle.standardError.write(Data("spasmwatch: \(error.message)\n".utf8))
            exit(withError: ExitCode(2))
        } catch let error as SpasmError where UserFiles.codes.contains(error.code) {
            // A file or folder the person named: its sentence as the home check's lines are.
            FileHandle.standardError.write(Data("spasmwatch: \(error.message)\n".utf8))
            exit(withError: ExitCode(1))
        } catch {
            exit(withError: error)
        }
    }
}
