import Foundation
import GRDB
import SpasmConfig
import SpasmProducer
import SpasmReliability
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Loss counted where it happens, with the real bus, sensor ingestion and store: no
/// "accepted" while the bus is down, and frames accepted but never stored show as loss.
@Suite("Loss accounting processes", .serialized)
struct LossAccountingProcessTests {
    func endpoints(_ home: URL) -> Endpoints { Endpoints(home: DataHome(root: home), configuration: Configuration()) }

    func makeHome(_ label: String) throws -> (URL, Int) {
        let home = try TestSupport.temporaryHome(label)
        let port = 17_000 + Int.random(in: 0..<1000)
        try #"{"sensor": {"httpPort": \#(port)}}"#.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        return (home, port)
    }

    func waitUntil(_ timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    /// Stream time per sensor: frames follow each other exactly, an hour back (never ahead of the clock).
    static let streams = StreamClock()

    /// One frame through the Swift SDK, without its retry unless asked.
    func send(_ home: URL, sensor: String = "loss-ankle", retrySeconds: Double = 0) async throws -> (ProducerReply, Int) {
        let endpoint = endpoints(home).sensorProducers
        let start = Self.streams.next(sensor)
        return try await offPoolThrowing {
            let producer = try SensorProducer(
                endpoint: endpoint,
                sensor: .init(sensorId: sensor, kind: .imu, placement: .rightAnkle, sampleRate: 100))
            producer.retryUnavailableSeconds = retrySeconds
            defer { producer.close() }
            let reply = try producer.send(samples: [Float](repeating: 0.3, count: 90), firstSampleTime: start)
            if !reply.ok && reply.reason != ProducerReply.unavailable { Issue.record("refused: \(reply)") }
            return (reply, producer.unavailableRetries)
        }
    }

    func post(port: Int, home: URL) async throws -> (Int, ProducerReply) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/frames")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(TestSupport.httpToken(home: home))", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(
            #"{"v":1,"sensorId":"loss-http","kind":"emg","placement":"left-calf","sampleRate":1000,"unit":"mV","samples":[0.1,0.2]}"#.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, try JSONDecoder().decode(ProducerReply.self, from: data))
    }

    @Test func withTheBusDownFramesAreUnavailableNotAccepted() async throws {
        let (home, port) = try makeHome("loss-bus")
        defer { try? FileManager.default.removeItem(at: home) }
        var bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"), "\(sensor.stderr)")
        #expect(try await send(home).0.ok)

        bus.signal(SIGKILL)
        _ = await bus.wait(timeout: 10)
        // Within moments of the bus going, every frame is refused as unavailable.
        #expect(try await waitUntil(10) { try await send(home).0.reason == ProducerReply.unavailable })
        let refused = try await send(home).0
        #expect(refused.ok == false)
        #expect(refused.reason == "unavailable")
        #expect(refused.error?.contains("spasmwatch-bus") == true, "\(refused.error ?? "")")
        let (code, httpReply) = try await post(port: port, home: home)
        #expect(code == 503)
        #expect(httpReply.reason == "unavailable")
        #expect(await sensor.waitForOutput("bus unavailable"))

        // The SDK retries with backoff: a frame sent while the bus is down is accepted once it is back.
        let retried = Task { try await send(home, retrySeconds: 60) }
        try await Task.sleep(for: .seconds(1))
        bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let (reply, retries) = try await retried.value
        #expect(reply.ok, "\(reply)")
        #expect(retries > 0)
        #expect(try await send(home).0.ok)
        #expect(try await post(port: port, home: home).0 == 200)
        await sensor.stop()
        await bus.stop()
    }

    func storedFrames(_ home: URL, sensor: String) async throws -> Int64? {
        let context = ZMQContext()
        defer { context.terminate() }
        guard
            let response = try? await StoreClient.query(
                StoreRequest(query: .storedFrames), context: context,
                endpoint: endpoints(home).storeQuery, timeoutSeconds: 3)
        else { return nil }
        return response.storedFrames?[sensor] ?? 0
    }

    /// Frames accepted over HTTP (many requests at once, saved by the one counts writer off
    /// the cooperative pool) are all on disk after a clean shutdown.
    @Test func framesAcceptedOverHTTPAreCountedAcrossACleanShutdown() async throws {
        let (home, port) = try makeHome("loss-http-count")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"))
        #expect(try await waitUntil(20) { (try? await post(port: port, home: home))?.1.ok == true }, "the first frame is accepted")
        let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 { group.addTask { try await post(port: port, home: home).1.ok } }
            var ok = 1
            for try await reply in group where reply { ok += 1 }
            return ok
        }
        #expect(accepted > 1)
        await sensor.stop()
        #expect(sensor.stderr.contains("stopped"), "a clean shutdown: \(sensor.stderr.suffix(500))")
        let counts = try DatabaseQueue(path: home.appendingPathComponent("data/sensor-counts.sqlite").path)
        let saved = try await counts.read { try Int.fetchOne($0, sql: "SELECT frames FROM sensor_accepted WHERE sensorId = 'loss-http'") }
        #expect(saved == accepted, "accepted \(accepted), saved \(saved ?? 0)")
        await bus.stop()
    }

    @Test func framesSentWhileTheStoreIsDownShowAsLoss() async throws {
        let (home, _) = try makeHome("loss-store")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        var store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        var sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"))
        let id = "loss-calf"
        // The store is subscribed once a frame reaches it.
        var accepted: Int64 = 0
        #expect(
            try await waitUntil(20) {
                if try await send(home, sensor: id).0.ok { accepted += 1 }
                return try await storedFrames(home, sensor: id) ?? 0 > 0
            })
        for _ in 0..<10 { if try await send(home, sensor: id).0.ok { accepted += 1 } }
        #expect(try await waitUntil(20) { try await storedFrames(home, sensor: id) == accepted })

        // The store goes; frames keep flowing and are accepted: the bus is up.
        store.signal(SIGKILL)
        _ = await store.wait(timeout: 10)
        let whileDown: Int64 = 15
        for _ in 0..<whileDown {
            #expect(try await send(home, sensor: id).0.ok)
            accepted += 1
        }

        // Ingestion restarts too (kill -9): its accepted count is kept on disk.
        sensor.signal(SIGKILL)
        _ = await sensor.wait(timeout: 10)
        sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"))
        store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        var before: Int64?
        #expect(
            try await waitUntil(20) {
                before = try await storedFrames(home, sensor: id)
                return before != nil
            })
        #expect(
            try await waitUntil(20) {
                if try await send(home, sensor: id).0.ok { accepted += 1 }
                return try await storedFrames(home, sensor: id) ?? 0 > before ?? 0
            })

        let list = try ChildProcess("spasmwatch", ["sensors"], home: home)
        #expect(await list.wait(timeout: 30) == 0, "\(list.stderr)")
        // Read after the CLI, which waits for frames still on their way: no frame is in flight now.
        let stored = try #require(try await storedFrames(home, sensor: id))
        let lost = accepted - stored
        #expect(lost >= whileDown, "accepted \(accepted), stored \(stored)")
        #expect(list.stdout.contains("\(lost) frames not stored"), "\(list.stdout)")
        let status = try ChildProcess(
            "spasmwatch",
            [
                "status", "--listen", "1.5",
                "--set", "expectedServices=spasmwatch-bus,spasmwatch-sensor,spasmwatch-store",
            ], home: home)
        #expect(await status.wait(timeout: 30) == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("Loss between sensor ingestion and storage:"), "\(status.stdout)")
        #expect(
            status.stdout.contains("\(id): \(lost) of \(accepted) frames accepted by sensor ingestion were never stored"),
            "\(status.stdout)")
        await sensor.stop()
        await store.stop()
        await bus.stop()
    }
}

/// The next frame's first-sample time per sensor (30 samples at 100 Hz: 0.3 s a frame); a
/// frame refused leaves a gap in the stream, which ingestion records and accepts.
final class StreamClock: @unchecked Sendable {
    // Safe: `next` is only touched while `lock` is held.
    private let lock = NSLock()
    private var times: [String: Double] = [:]
    private let origin = Date().timeIntervalSince1970 - 3600

    func next(_ sensor: String) -> Double {
        lock.lock()
        defer { lock.unlock() }
        let t = times[sensor] ?? origin
        times[sensor] = t + 0.3
        return t
    }
}
