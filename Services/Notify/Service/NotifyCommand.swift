import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-notify`: routes alerts to people — grouping, quiet hours, escalation and
/// acknowledgement — through console, file, webhook and command channels.
@main
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-notify",
        abstract: "Route alerts to people: grouping, quiet hours, escalation, acknowledgement; console, file, webhook and command channels.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await ServiceEnvironment.main(service: ServiceName.notify, instance: "notify", options: options) { environment in
            try NotifyService.build(environment: environment)
        }
    }
}
