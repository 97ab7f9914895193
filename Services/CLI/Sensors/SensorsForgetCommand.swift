import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime
import SpasmSchema

struct SensorsForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Forget a sensor: it no longer appears or raises an alert (if it sends again, it is new).")

    @Argument(help: "The sensor's id, as `spasmwatch sensors` shows it.")
    var sensorId: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await SpasmError.reportingSensors {
            let reply = try await SensorsConnection.send(SensorRequest(op: .forget, sensorId: sensorId), options: options)
            let what = reply.sensors?.first.map { " (\($0.kind.rawValue) at \($0.placement.rawValue), \($0.framesAccepted) frames)" } ?? ""
            print("forgot sensor \(sensorId)\(what)")
        }
    }
}
