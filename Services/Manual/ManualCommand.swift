import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-manual`: Manual ingestion: the spasm diary.
@main
struct ManualCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-manual",
        abstract: "Manual ingestion: the spasm diary.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.manual, instance: "manual", options: options)
        try await environment.run([environment.heartbeat()])
    }
}
