import ArgumentParser

/// `spasmwatch-bench ...`: benchmarks that print figures beside a reference from the same run.
/// Not part of the product: a separate executable, built with the others, never installed.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-bench",
        abstract: "SpasmWatch benchmarks (printed, never asserted).",
        subcommands: [BenchBusCommand.self, BenchStoreCommand.self, SensorBenchCommand.self, DetectBenchCommand.self])
}
