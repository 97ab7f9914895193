import ArgumentParser
import Foundation
import SpasmConfig
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
            if case .badReply(_, let why) = error { throw SensorsFailure("unreadable reply from spasmwatch-sensor: \(why)") }
            throw SensorsFailure("spasmwatch-sensor is not answering at \(endpoint) (home \(home.root.path)): is it running? Start it with deploy/stack up")
        }
        guard reply.ok else { throw SensorsFailure(reply.error ?? "spasmwatch-sensor refused the request") }
        return reply
    }
}
