import ArgumentParser
import SpasmRuntime

/// `spasmwatch`: the user's command line.
@main
struct SpasmWatchCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch",
        abstract: "SpasmWatch: record, watch and understand spasms in MS.",
        subcommands: [StatusCommand.self, TailCommand.self, LogCommand.self, RecentCommand.self, UndoCommand.self,
                      ConfirmCommand.self, EpisodesCommand.self, HistoryCommand.self, StatsCommand.self, ExportCommand.self,
                      ReportCommand.self, BackupCommand.self, AckCommand.self, NotifyGroupCommand.self, BenchCommand.self,
                      SeedDemoCommand.self,
                      SensorsCommand.self])
}
