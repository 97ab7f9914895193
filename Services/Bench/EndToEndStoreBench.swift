import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// `spasmwatch-bench store --through-bus`: frames and events published by this process go
/// through a real `spasmwatch-bus` into a real `spasmwatch-store` (temporary home); the rate
/// is rows stored per second, from the first publish to the last row counted by the store's
/// `info` query.
enum EndToEndStoreBench {
    static func run(frames: Int, events: Int) async throws {
        let home = try TemporaryDirectory(prefix: "sw-bench-e2e")
        defer { home.remove() }
        let bin = BenchBinaries.directory
        let bus = try Child.start(bin.appendingPathComponent("spasmwatch-bus").path, [], home: home.url)
        defer { bus.terminate() }
        try await Task.sleep(for: .seconds(1))
        let store = try Child.start(bin.appendingPathComponent("spasmwatch-store").path, [], home: home.url)
        defer { store.terminate() }
        try await Task.sleep(for: .seconds(2))
        let dataHome = DataHome(root: home.url)
        let address = try BusAddress.resolve(home: dataHome, configuration: Configuration())
        let endpoint = Endpoints(home: dataHome, configuration: Configuration()).storeQuery
        print(try await measure(address: address, endpoint: endpoint, frames: frames, events: events))
    }

    static func measure(address: BusAddress, endpoint: String, frames: Int, events: Int) async throws -> String {
        let context = ZMQContext()
        let publisher = try BusPublisher(context: context, address: address, source: "bench", queueCapacity: 1_000_000)
        let client = StoreClient(context: context, endpoint: endpoint, timeoutSeconds: 10)
        try await Task.sleep(for: .milliseconds(500))
        let sensors = ["ankle-l", "ankle-r", "wrist-l", "wrist-r"]
        let payload = Data(count: 600)
        let start = Date().timeIntervalSince1970
        let frameBodies = try (0..<frames).map { i in
            try WireCodec.encode(
                SensorFrame(
                    sensorId: sensors[i % sensors.count], kind: .imu, placement: .rightAnkle,
                    sampleRate: 100, channels: 3, unit: .g,
                    firstSampleTime: start + Double(i / sensors.count) * 0.5, sampleCount: 50))
        }
        let eventBodies = try (0..<events).map { i in
            try WireCodec.encode(
                EpisodeEvent(
                    episodeId: UUID(), phase: .onset, kind: .clonus, sensorId: "ankle-r",
                    site: .rightAnkle, start: start + Double(i), detectedAt: start + Double(i) + 2,
                    confidence: 0.9))
        }
        func rows(_ table: String) async throws -> Int {
            try await client.send(StoreRequest(query: .info)).info?.rows[table] ?? 0
        }
        func timed(_ table: String, count: Int, publish: (Int) throws -> Void) async throws -> (stored: Int, seconds: Double) {
            let before = try await rows(table)
            let t0 = Date()
            for i in 0..<count {
                while publisher.pending > 200_000 { try await Task.sleep(for: .milliseconds(1)) }
                try publish(i)
            }
            var last = before
            var lastChange = Date()
            while last - before < count, Date().timeIntervalSince(lastChange) < 5 {
                try await Task.sleep(for: .milliseconds(50))
                let now = try await rows(table)
                if now != last {
                    last = now
                    lastChange = Date()
                }
            }
            return (last - before, lastChange.timeIntervalSince(t0))
        }
        let f = try await timed("sensor_frame", count: frames) { i in
            try publisher.publishEncoded(
                topic: Topic.sensorFrame(sensors[i % sensors.count]), type: SensorFrame.messageType,
                id: UUID(), person: nil, bodyJSON: frameBodies[i], payload: payload)
        }
        let e = try await timed("episode", count: events) { i in
            try publisher.publishEncoded(
                topic: Topic.episode("clonus"), type: EpisodeEvent.messageType, id: UUID(),
                person: nil, bodyJSON: eventBodies[i])
        }
        await publisher.closeAsync()
        await onBlockingPool { context.terminate() }  // the client's thread closes its socket when the context ends
        func line(_ what: String, _ n: Int, _ r: (stored: Int, seconds: Double)) -> String {
            String(format: "%@: %d of %d stored, %.0f k/s", what, r.stored, n, Double(r.stored) / max(r.seconds, 1e-9) / 1000)
        }
        return "\nEnd to end (this process → spasmwatch-bus → spasmwatch-store → SQLite, ipc, separate processes):\n"
            + line("  sensor frames 50×3", frames, f) + "\n" + line("  events (episode onsets)", events, e) + "\n"
    }
}
