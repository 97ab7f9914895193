import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// Runs detection (the default subcommand). With `--shard i/n` this instance takes the
/// sensors whose id hashes to i (of n instances); instance 0 also watches for flare-ups.
struct ServeDetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run detection (default).")

    @OptionGroup var options: CommonOptions

    @Option(help: "This instance's share of the sensors, as INDEX/COUNT (e.g. 0/2).")
    var shard: String?

    func run() async throws {
        let split = try SensorShard(parsing: shard)
        let instance = split.count > 1 ? "detect-\(split.index)" : "detect"
        try await ServiceEnvironment.main(service: ServiceName.detect, instance: instance, options: options) { environment in
            try await DetectService.build(environment: environment, shard: split)
        }
    }
}
