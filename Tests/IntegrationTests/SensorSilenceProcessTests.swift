import Foundation
import SpasmBus
import SpasmConfig
import SpasmProducer
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// Issue 11, points 5 and 6, with the real bus, sensor ingestion, notify and CLI processes:
/// test sensors and a flood of ids never page anyone more than once, the sensor caps answer
/// the producer, and a wrong device clock never locks a sensor out.
@Suite("Sensor silence and clocks, processes", .serialized)
struct SensorSilenceProcessTests {
    /// Polls until `condition` holds (up to `timeout` seconds); returns whether it did.
    static func eventually(_ timeout: Double = 30, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    static func frame(_ id: String, test: Bool = false, start: Double? = nil) -> Data {
        let frame = ProducerFrame(
            sensorId: id, kind: "imu", placement: "right-ankle", sampleRate: 100, channels: 3, unit: "g",
            firstSampleTime: start, sampleCount: 25, producer: "flood", test: test ? true : nil)
        return frame.fastJSON()!
    }

    static let samples = SamplePacking.pack(Array(repeating: [Float(0), 0, 1], count: 25).flatMap { $0 })

    @Test func aFloodOfIdsFromOneProducerPagesOnceAndTestSensorsNever() async throws {
        let home = try TestSupport.temporaryHome("silence")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try """
        {"sensor": {"httpPort": 0, "silentAfterSeconds": 2},
         "notify": {"groupWaitSeconds": 0},
         "expectedServices": ["spasmwatch-bus", "spasmwatch-sensor", "spasmwatch-notify"]}
        """.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try """
        {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
         "routes": [{"receivers": ["me"]}]}
        """.write(to: home.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        // The caps lowered through --set: 20 sensors per producer stand for the 2,000 seen.
        let sensor = try ChildProcess(
            "spasmwatch-sensor",
            [
                "--set", "sensor.maxSensorsPerProducer=20", "--set", "sensor.wornAfterSeconds=1",
                "--set", "sensor.worn=named",
            ], home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let endpoint = Endpoints(home: DataHome(root: home), configuration: Configuration()).sensorProducers

        // One producer sends for 25 ids (the cap is 20), a test sensor and a named sensor, for 1.5 s.
        let replies: [String: ProducerReply] = try await offPoolThrowing {
            let producer = try SensorProducer(
                endpoint: endpoint,
                sensor: .init(
                    sensorId: "unused", kind: .imu, placement: .rightAnkle,
                    sampleRate: 100))
            defer { producer.close() }
            var last: [String: ProducerReply] = [:]
            for round in 0..<7 {
                last["named"] = try producer.send(json: Self.frame("named"), binary: Self.samples)
                last["demo-x"] = try producer.send(json: Self.frame("demo-x", test: true), binary: Self.samples)
                for i in 0..<25 {
                    let id = String(format: "flood-%02d", i)
                    last[id] = try producer.send(json: Self.frame(id), binary: Self.samples)
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
            return last
        }
        let cap = "too many sensors: at most 20 per producer; forget old ones with spasmwatch sensors forget ID"
        #expect(replies["named"]?.ok == true)
        #expect(replies["demo-x"]?.ok == true)
        #expect(replies["flood-00"]?.ok == true)
        #expect(replies["flood-17"]?.ok == true)
        #expect(replies["flood-18"]?.error == cap, "the 21st sensor of one producer: \(replies["flood-18"]?.error ?? "accepted")")
        #expect(replies["flood-24"]?.error == cap)

        // They all fall silent: one notification lists the worn ones; the test sensor is not among them.
        func silentNotes() -> [[String: Any]] {
            server.received.compactMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
                .filter { $0["kind"] as? String == "sensor-silent" }
        }
        #expect(await Self.eventually { !silentNotes().isEmpty }, "a silent notification arrives: \(notify.stderr.suffix(2000))")
        let note = try #require(silentNotes().first)
        let title = note["title"] as? String ?? ""
        let text = note["text"] as? String ?? ""
        #expect(title.hasPrefix("19 sensors are silent: flood-00, flood-01"), "\(title)")
        #expect(text.contains("named (right ankle"), "\(text)")
        #expect(!text.contains("demo-x"), "a test sensor never raises sensor-silent: \(text)")
        #expect(!text.contains("flood-18"), "refused sensors are not known")
        // The watchdog checks every second: several more checks, still one notification.
        try await Task.sleep(for: .seconds(6))
        #expect(silentNotes().count == 1, "\(silentNotes().map { $0["title"] ?? "" })")

        // `spasmwatch sensors` lists them; `forget` removes one.
        let list = try ChildProcess("spasmwatch", ["sensors"], home: home)
        #expect(await list.wait(timeout: 20) == 0, "\(list.stderr)")
        #expect(list.stdout.hasPrefix("DEVICE"))
        let demoLine = list.stdout.split(separator: "\n").first { $0.hasPrefix("demo-x") }.map(String.init) ?? ""
        #expect(demoLine.contains(" test "), "\(demoLine)")
        let floodLine = list.stdout.split(separator: "\n").first { $0.hasPrefix("flood-00") }.map(String.init) ?? ""
        #expect(floodLine.contains(" worn "), "\(floodLine)")
        #expect(floodLine.contains(" me "), "\(floodLine)")
        #expect(list.stdout.contains("20 sensor(s), 19 worn"), "\(list.stdout)")
        let forget = try ChildProcess("spasmwatch", ["sensors", "forget", "flood-00"], home: home)
        #expect(await forget.wait(timeout: 20) == 0, "\(forget.stderr)")
        #expect(forget.stdout.contains("forgot sensor flood-00"))
        let again = try ChildProcess("spasmwatch", ["sensors"], home: home)
        #expect(await again.wait(timeout: 20) == 0)
        #expect(!again.stdout.contains("flood-00"))
        let unknown = try ChildProcess("spasmwatch", ["sensors", "forget", "flood-00"], home: home)
        #expect(await unknown.wait(timeout: 20) == 1)
        #expect(unknown.stderr.contains("no sensor 'flood-00' is known"))
        for p in [notify, sensor, bus] { await p.stop() }
        #expect(sensor.process.terminationStatus == 0)
    }

    @Test func aDayAheadFrameIsRefusedAndABackwardJumpReanchorsAfterThreeFrames() async throws {
        let home = try TestSupport.temporaryHome("clock")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        let endpoint = Endpoints(home: DataHome(root: home), configuration: Configuration()).sensorProducers
        let replies: [ProducerReply] = try await offPoolThrowing {
            let producer = try SensorProducer(
                endpoint: endpoint,
                sensor: .init(
                    sensorId: "wrist-clock", kind: .imu, placement: .leftWrist,
                    sampleRate: 100))
            defer { producer.close() }
            let samples: [Float] = Array(repeating: [Float(0), 0, 1], count: 25).flatMap { $0 }
            let now = Date().timeIntervalSince1970
            var replies: [ProducerReply] = []
            replies.append(try producer.send(samples: samples, firstSampleTime: now - 10))  // 0: accepted
            replies.append(try producer.send(samples: samples, firstSampleTime: now + 86_400))  // 1: a day ahead
            replies.append(try producer.send(samples: samples, firstSampleTime: now - 9.75))  // 2: normal again
            replies.append(try producer.send(samples: samples, firstSampleTime: nil))  // 3: no clock
            let back = now - 3600
            for i in 0..<4 {  // 4–7: an hour back
                replies.append(try producer.send(samples: samples, firstSampleTime: back + Double(i) * 0.25))
            }
            return replies
        }
        #expect(replies.count == 8)
        #expect(replies[0].ok)
        #expect(replies[1].ok == false)
        #expect(replies[1].reason == "clock")
        #expect(replies[1].error?.contains("s (24 h) ahead of the server clock") == true, "\(replies[1].error ?? "")")
        #expect(replies[1].error?.contains("at most 10 minutes ahead is allowed") == true)
        #expect(replies[2].ok, "\(replies[2].error ?? "")")
        #expect(replies[3].ok, "a frame without a time is accepted after the bad one: \(replies[3].error ?? "")")
        #expect(replies[4].ok == false)
        #expect(replies[4].error?.contains("(this frame is 1 of 3)") == true, "\(replies[4].error ?? "")")
        #expect(replies[5].ok == false)
        #expect(replies[6].ok, "the third consistent frame re-anchors: \(replies[6].error ?? "")")
        #expect(replies[7].ok)
        #expect(await sensor.waitForOutput("sensor clock jumped"), "the jump is logged")
        let list = try ChildProcess("spasmwatch", ["sensors", "--json"], home: home)
        #expect(await list.wait(timeout: 20) == 0)
        let statuses = try JSONDecoder().decode([SensorStatus].self, from: Data(list.stdout.utf8))
        let status = try #require(statuses.first { $0.sensorId == "wrist-clock" })
        #expect(status.clockJumps == 1)
        #expect((status.lastClockJumpSeconds ?? 0) < -3000)
        for p in [sensor, bus] { await p.stop() }
    }
}
