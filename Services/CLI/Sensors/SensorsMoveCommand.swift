import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime
import SpasmSchema

struct SensorsMoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Say where a device is worn now: its frames are published at that body site from now on.")

    @Argument(help: "The device's id, as `spasmwatch sensors` shows it.")
    var sensorId: String

    @Argument(help: "The body site, e.g. left-forearm, right-thigh (\(BodySite.allowedList)).")
    var site: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await SpasmError.reportingSensors {
            let reply = try await SensorsConnection.send(SensorRequest(op: .move, sensorId: sensorId, placement: site), options: options)
            print("moved \(sensorId) to \(reply.sensors?.first?.placement.rawValue ?? site)")
        }
    }
}
