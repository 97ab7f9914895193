import ArgumentParser
import SpasmRuntime

/// `spasmwatch`: the user's command line.
@main
struct SpasmWatchCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch",
        abstract: "SpasmWatch: record, watch and understand spasms in MS.",
        subcommands: [StatusCommand.self, TailCommand.self, LogCommand.self, RecentCommand.self, UndoCommand.self,
                      ConfirmCommand.self, EpisodesCommand.self, AckCommand.self, NotifyGroupCommand.self, BenchCommand.self])
}
