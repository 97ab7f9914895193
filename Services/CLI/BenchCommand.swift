import ArgumentParser

/// `spasmwatch bench ...`: benchmarks that print figures beside a reference from the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (printed, never asserted).",
        subcommands: [BenchBusCommand.self, BenchStoreCommand.self])
}
