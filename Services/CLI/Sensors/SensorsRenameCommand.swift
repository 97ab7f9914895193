import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime
import SpasmSchema

struct SensorsRenameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename",
        abstract: "Give a device a name of your own (an empty name clears it).")

    @Argument(help: "The device's id, as `spasmwatch sensors` shows it.")
    var sensorId: String

    @Argument(help: "The name, at most 40 characters, e.g. \"My phone\".")
    var name: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await SpasmError.reportingSensors {
            let reply = try await SensorsConnection.send(SensorRequest(op: .rename, sensorId: sensorId, name: name), options: options)
            let given = reply.sensors?.first?.name
            print(given.map { "renamed \(sensorId) to \"\($0)\"" } ?? "cleared the name of \(sensorId)")
        }
    }
}
