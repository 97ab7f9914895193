import Foundation
import SpasmBus
import SpasmSchema
import SpasmStore
import Testing

@Suite("Store: sensors, service health, info")
struct SensorsAndHealthTests {
    @Test func latestRegistrationAndHeartbeatWin() throws {
        let (database, dir) = try StoreFixtures.database("health")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let first = SensorRegistration(sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3, via: "zmq")
        var moved = first
        moved.placement = .leftAnkle
        func beat(_ uptime: Double, time: Double) throws -> SpasmBus.BusMessage {
            let header = EnvelopeHeader(type: Heartbeat.messageType, source: "detect-0", epoch: 1, seq: UInt64(uptime), time: time)
            let body = Heartbeat(service: "spasmwatch-detect", instance: "detect-0", pid: 7, version: "0.1.0", uptimeSeconds: uptime)
            return try SpasmBus.BusMessage(frames: [
                Data("heartbeat.spasmwatch-detect".utf8),
                WireCodec.assemble(header: header, bodyJSON: WireCodec.encode(body)),
            ])
        }
        try ingestor.store([
            try StoreFixtures.message(first, topic: Topic.sensorRegistered, source: "sensor"),
            try StoreFixtures.message(moved, topic: Topic.sensorRegistered, source: "sensor"),
            try beat(2, time: 200), try beat(1, time: 100),
        ])
        let engine = StoreQueryEngine(database: database, timeZone: .gmt, diskBudgetBytes: 1_000_000, rawRetentionDays: 3)
        #expect(engine.answer(StoreRequest(query: .sensors)).sensors == [moved])
        let health = engine.answer(StoreRequest(query: .health)).health ?? []
        #expect(health.map(\.uptimeSeconds) == [2], "an older heartbeat arriving late does not win")
        let info = try #require(engine.answer(StoreRequest(query: .info)).info)
        #expect(info.rows["sensor"] == 1 && info.rows["service_health"] == 1)
        #expect(info.diskBudgetBytes == 1_000_000 && info.rawRetentionDays == 3)
        #expect(info.databaseBytes > 0)
    }
}
