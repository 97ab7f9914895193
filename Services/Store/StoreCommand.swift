import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-store`: Storage in SQLite.
@main
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-store",
        abstract: "Storage in SQLite.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.store, instance: "store", options: options)
        try await environment.run([environment.heartbeat()])
    }
}
