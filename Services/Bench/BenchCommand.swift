import ArgumentParser

/// `spasmwatch-bench ...`: benchmarks that print figures beside a reference from the same run.
/// Not part of the product: a separate executable, built with the others, never installed.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-bench",
        abstract: "SpasmWatch benchmarks (printed, never asserted).",
        subcommands: [
            BenchAllCommand.self, BenchBusCommand.self, BenchStoreCommand.self, SensorBenchCommand.self, DetectBenchCommand.self,
            BenchMemoryCommand.self, BenchEndToEndCommand.self,
        ])

    /// ArgumentParser's own `main`, after arming the handlers that stop every child process and
    /// remove every temporary folder when the run is interrupted.
    static func main() async {
        let signalSources = BenchCleanup.installSignalHandlers()
        defer { withExtendedLifetime(signalSources) {} }
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
