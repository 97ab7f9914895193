import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-notify`: Notification of alerts.
@main
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-notify",
        abstract: "Notification of alerts.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.notify, instance: "notify", options: options)
        try await environment.run([environment.heartbeat()])
    }
}
