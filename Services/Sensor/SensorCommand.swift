import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-sensor`: sensor ingestion. Serves external producers (ZeroMQ and HTTP),
/// validates every frame, and republishes accepted frames on the bus. Subcommands check a
/// frame offline, simulate sensors, and replay recordings.
@main
struct SensorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-sensor",
        abstract: "Sensor ingestion: external producers' frames, validated, onto the bus.",
        subcommands: [ServeSensorCommand.self, CheckCommand.self, SimulateCommand.self, ReplayCommand.self],
        defaultSubcommand: ServeSensorCommand.self)
}
