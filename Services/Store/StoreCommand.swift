import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-store`: keeps everything in SQLite, sends stored receipts after each commit,
/// and answers queries (docs/storage.md).
@main
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-store",
        abstract: "Storage in SQLite: diary, episodes, alerts, deliveries, sensor data; answers queries.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await ServiceEnvironment.main(service: ServiceName.store, instance: "store", options: options) { environment in
            try StoreService.build(environment: environment)
        }
    }
}
