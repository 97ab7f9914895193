import ArgumentParser
import Foundation
import SpasmConfig
import SpasmRuntime
import SpasmSchema

/// `spasmwatch sensors`: every sensor sensor ingestion knows, whether it is worn (watched
/// when silent) or a test sensor, and its health; `spasmwatch sensors forget ID` removes one.
/// Both ask the running spasmwatch-sensor on its local endpoint (`Endpoints.sensorRequests`).
struct SensorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensors",
        abstract: "List the devices seen (kind, where worn, battery, rate, last seen, loss); rename, move or forget one.",
        discussion: """
            A sensor is worn once it has sent for sensor.wornAfterSeconds (default 300) or is named \
            in sensor.worn; only worn sensors that are not test sensors raise "Sensor X is silent". \
            Test sensors are replays, simulations and the examples (their frames say "test": true). \
            Sensors unseen for a day are forgotten by themselves. `rename ID NAME` gives a device a \
            name of your own; `move ID SITE` says where it is worn now (its frames are then \
            published at that site, whatever the device itself sends).
            """,
        subcommands: [SensorsListCommand.self, SensorsRenameCommand.self, SensorsMoveCommand.self, SensorsForgetCommand.self],
        defaultSubcommand: SensorsListCommand.self)
}
