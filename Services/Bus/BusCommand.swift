import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-bus`: the broker. An XSUB/XPUB proxy at two well-known endpoints: publishers
/// connect to one, subscribers to the other. Only one bus may run per data home.
@main
struct BusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-bus",
        abstract: "The SpasmWatch message broker (ZeroMQ XSUB/XPUB proxy).")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await ServiceEnvironment.main(service: ServiceName.bus, instance: "bus", options: options) { environment in
            try BusService.build(environment: environment)
        }
    }
}
