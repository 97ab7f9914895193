import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-detect`: Detection of spasms, clonus and falls.
@main
struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-detect",
        abstract: "Detection of spasms, clonus and falls.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.detect, instance: "detect", options: options)
        try await environment.run([environment.heartbeat()])
    }
}
