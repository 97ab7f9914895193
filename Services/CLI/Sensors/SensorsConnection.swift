import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// The request, and the sentence when sensor ingestion is not there to answer.
enum SensorsConnection {
    static func send(_ request: SensorRequest, options: CommonOptions) async throws -> SensorReply {
        let (home, configuration) = try options.load()
        let endpoint = Endpoints(home: home, configuration: configuration).sensorRequests
        let reply: SensorReply
        do {
            reply = try await RequestClient<SensorRequest, SensorReply>(context: ProcessContext.shared, endpoint: endpoint).ask(request)
        } catch {
            if error.code == .requestBadReply { throw SpasmError(.sensors, "unreadable reply from spasmwatch-sensor: \(error.detail ?? "")") }
            throw SpasmError(
                .sensors, "spasmwatch-sensor is not answering at \(endpoint) (home \(home.root.path)): is it running? Start it with deploy/stack up")
        }
        guard reply.ok else { throw SpasmError(.sensors, reply.error ?? "spasmwatch-sensor refused the request") }
        return reply
    }
}
