import ArgumentParser
import SpasmRuntime

/// `spasmwatch`: the user's command line.
@main
struct SpasmWatchCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch",
        abstract: "SpasmWatch: record, watch and understand spasms in MS.",
        subcommands: [StatusCommand.self, TailCommand.self, BenchCommand.self, AckCommand.self, NotifyGroupCommand.self])
}
