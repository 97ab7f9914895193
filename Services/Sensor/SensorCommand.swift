import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-sensor`: Sensor ingestion: external producers' frames, validated, onto the bus.
@main
struct SensorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-sensor",
        abstract: "Sensor ingestion: external producers' frames, validated, onto the bus.")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Also run simulated sensors (deploy/stack up --demo).")
    var demo = false

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.sensor, instance: "sensor", options: options)
        try await environment.run([environment.heartbeat()])
    }
}
