import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// Runs the service (the default subcommand).
struct ServeSensorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run sensor ingestion (default).")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Also run simulated sensors (deploy/stack up --demo): an ankle IMU, a wrist IMU and a calf EMG.")
    var demo = false

    func run() async throws {
        try await ServiceEnvironment.main(service: ServiceName.sensor, instance: "sensor", options: options) { environment in
            try SensorService.build(environment: environment, demo: demo)
        }
    }
}
