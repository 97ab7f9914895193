import Foundation
import GRDB
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// On tcp a key speaks only for itself (issue 12, point 7): the broker checks each message's
/// envelope `source` and topic against the key that sent it, each local service has its own
/// key, and a producer key sends only its bound sensors. Real processes over tcp with CURVE.
@Suite("Source binding on tcp", .serialized)
struct SourceBindingProcessTests {
    typealias Keys = KeyRolesProcessTests

    struct Stack {
        let home: URL
        let publish: String
        let subscribe: String
        let producers: String
    }

    /// A home whose bus and producer endpoint are tcp on free loopback ports.
    static func tcpHome(_ label: String, context: ZMQContext) throws -> Stack {
        let home = try TestSupport.temporaryHome(label)
        let publishPort = try Keys.freePort(context)
        let subscribePort = try Keys.freePort(context)
        let producerPort = try Keys.freePort(context)
        try """
        {"bus": {"transport": "tcp", "tcpPublishPort": \(publishPort), "tcpSubscribePort": \(subscribePort)},
         "sensor": {"producerTcpPort": \(producerPort), "httpPort": 0}, "manual": {"httpPort": 0}}
        """.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        return Stack(
            home: home, publish: "tcp://127.0.0.1:\(publishPort)", subscribe: "tcp://127.0.0.1:\(subscribePort)",
            producers: "tcp://127.0.0.1:\(producerPort)")
    }

    static func serverKey(_ home: URL) throws -> String {
        try String(contentsOf: home.appendingPathComponent("keys/bus.public"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func message<Body: MessageBody>(_ body: Body, topic: String, source: String, seq: UInt64) throws -> [Data] {
        let header = EnvelopeHeader(type: Body.messageType, source: source, epoch: 7, seq: seq, time: Date().timeIntervalSince1970)
        return [Data(topic.utf8), try WireCodec.encode(Envelope(header: header, body: body))]
    }

    static func count(_ home: URL, _ sql: String) throws -> Int {
        let db = try DatabaseQueue(
            path: home.appendingPathComponent("data/spasmwatch.sqlite").path,
            configuration: {
                var c = GRDB.Configuration()
                c.readonly = true
                return c
            }())
        return try db.read { try Int.fetchOne($0, sql: sql) ?? 0 }
    }

    @Test func aServiceKeyCannotForgeAnotherServicesSourceOrTopics() async throws {
        let context = ZMQContext()
        defer { context.terminate() }
        let stack = try Self.tcpHome("srcbind", context: context)
        let home = stack.home
        defer { try? FileManager.default.removeItem(at: home) }
        // A home from before per-service keys: one shared client pair, allowed as "local".
        let shared = try Keys.allow("local", in: "services", home: home)
        try shared.publicKey.write(to: home.appendingPathComponent("keys/client.public"), atomically: false, encoding: .utf8)
        try shared.secretKey.write(to: home.appendingPathComponent("keys/client.secret"), atomically: false, encoding: .utf8)
        let mine = try await Keys.newKey("my-consumer", role: "service", home: home)
        let phone = try await Keys.newKey("phone", role: "consumer", home: home)

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        defer { bus.signal(SIGKILL) }
        #expect(await bus.waitForOutput("bus running"))
        #expect(bus.stderr.contains("own key 'bus'") && bus.stderr.contains("no longer used"), "the move off keys/client.* is logged: \(bus.stderr)")
        let store = try ChildProcess("spasmwatch-store", home: home)
        defer { store.signal(SIGKILL) }
        #expect(await store.waitForOutput("store open"))
        let manual = try ChildProcess("spasmwatch-manual", home: home)
        defer { manual.signal(SIGKILL) }
        #expect(await manual.waitForOutput("started"))
        // Each service made its own pair: the secret 0600, the public key a service key.
        for name in ["bus", "store", "manual"] {
            let secret = home.appendingPathComponent("keys/issued/\(name).secret").path
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(secret) is \(String(mode, radix: 8))")
            #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("keys/allowed/services/\(name).public").path))
        }

        let server = try Self.serverKey(home)
        // A consumer key cannot publish at all.
        let consumerPub = try Keys.handshake(.pub, stack.publish, key: phone, server: server, context: context)
        defer { consumerPub.socket.close() }
        #expect(consumerPub.accepted == false, "a consumer key must not publish")
        let watcher = try Keys.handshake(.sub, stack.subscribe, key: phone, server: server, context: context)
        defer { watcher.socket.close() }
        #expect(watcher.accepted == true)
        try watcher.socket.setReceiveTimeout(milliseconds: 100)
        let forger = try Keys.handshake(.pub, stack.publish, key: mine, server: server, context: context)
        defer { forger.socket.close() }
        #expect(forger.accepted == true, "a service key may publish")

        let now = Date().timeIntervalSince1970
        let asDetect = Alert(
            kind: "fall", severity: .critical, groupKey: "me/fall", title: "Possible fall",
            message: "forged with source detect", at: now)
        let ownSource = Alert(
            kind: "fall", severity: .critical, groupKey: "me/fall", title: "Possible fall",
            message: "forged on a reserved topic", at: now)
        let entry = DiaryEntry(
            recordedAt: now, via: "test", kind: .spasm,
            spasm: SpasmRecord(at: now - 60, site: .leftCalf, type: .tonic, severity: 2))
        var counters: [String: Int64] = [:]
        var heardOwnTopic = false
        let deadline = Date().addingTimeInterval(30)
        var seq: UInt64 = 0
        while Date() < deadline {
            seq += 1
            let forged = [
                try Self.message(asDetect, topic: Topic.alert(.critical), source: "detect", seq: seq),
                try Self.message(ownSource, topic: Topic.alert(.critical), source: "my-consumer", seq: seq),
                try Self.message(entry, topic: Topic.manualEntry, source: "detect", seq: seq),
                try Self.message(StoredReceipt(forSource: "manual", ids: [UUID()]), topic: Topic.stored("manual"), source: "my-consumer", seq: seq),
                // A topic of its own, under its own name: forwarded.
                try Self.message(StoredReceipt(forSource: "x", ids: []), topic: "myapp.status", source: "my-consumer", seq: seq),
            ]
            for parts in forged { try forger.socket.send(parts) }
            while let parts = try watcher.socket.receiveMultipart() {
                let topic = String(decoding: parts[0], as: UTF8.self)
                if topic == "myapp.status" { heardOwnTopic = true }
                #expect(
                    topic != Topic.manualEntry && topic != Topic.stored("manual") && !topic.hasPrefix("alert."),
                    "a forged \(topic) reached a subscriber")
                if topic == "heartbeat.spasmwatch-bus", let beat = try? WireCodec.decode(Heartbeat.self, from: parts[1]) {
                    counters = beat.body.counters
                }
            }
            if heardOwnTopic, counters["bus.refused.source", default: 0] >= 2, counters["bus.refused.topic", default: 0] >= 2 { break }
        }
        #expect(heardOwnTopic, "a service key's own topic under its own source is forwarded")
        #expect(counters["bus.refused.source", default: 0] >= 2, "refusals by source in the bus heartbeat: \(counters)")
        #expect(counters["bus.refused.topic", default: 0] >= 2, "refusals by topic in the bus heartbeat: \(counters)")
        #expect(bus.stderr.contains("my-consumer") && bus.stderr.contains("refused a message"), "refusals are logged with the key's name")

        // The real services still work end to end: the CLI's entry goes through manual and the
        // bus (manual's own key) to storage (store's own key), and its receipt comes back.
        let log = try ChildProcess(
            "spasmwatch",
            [
                "log", "spasm", "--site", "left-calf", "--type", "tonic", "--severity", "2",
                "--note", "real entry",
            ], home: home)
        #expect(await log.wait(timeout: 30) == 0, "\(log.stdout) \(log.stderr)")
        var stored = 0
        let storedBy = Date().addingTimeInterval(30)
        while Date() < storedBy {
            stored = (try? Self.count(home, "SELECT COUNT(*) FROM diary_entry")) ?? 0
            if stored > 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(stored == 1, "the real diary entry is stored once (the forged one is not)")
        let forgedAlerts = try Self.count(
            home,
            "SELECT COUNT(*) FROM alert WHERE alertId IN ('\(asDetect.alertId.uuidString)', '\(ownSource.alertId.uuidString)', '\(asDetect.alertId.uuidString.lowercased())', '\(ownSource.alertId.uuidString.lowercased())')"
        )
        #expect(forgedAlerts == 0, "a forged alert is not stored")
        #expect(try Self.count(home, "SELECT COUNT(*) FROM alert") == 0)

        let list = try ChildProcess("spasmwatch", ["keys", "list"], home: home)
        #expect(await list.wait(timeout: 30) == 0)
        for name in ["bus", "store", "manual", "my-consumer", "local"] {
            #expect(list.stdout.contains(name), "keys list shows \(name): \(list.stdout)")
        }
        #expect(list.stdout.contains("this machine's spasmwatch-store"))
        await manual.stop()
        await store.stop()
        await bus.stop()
    }

    /// Sends one frame for `sensorId` on a REQ socket and returns the reply; "unavailable"
    /// (ingestion not yet linked to the bus) is sent again.
    static func send(_ socket: ZMQSocket, sensorId: String) async throws -> ProducerReply? {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            try socket.send([SensorSilenceProcessTests.frame(sensorId), SensorSilenceProcessTests.samples])
            guard let parts = try socket.receiveMultipart(), let first = parts.first else { return nil }
            let reply = try JSONDecoder().decode(ProducerReply.self, from: first)
            if reply.reason != ProducerReply.unavailable { return reply }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    @Test func aProducerKeySendsOnlyTheSensorsBoundToIt() async throws {
        let context = ZMQContext()
        defer { context.terminate() }
        let stack = try Self.tcpHome("prodbind", context: context)
        let home = stack.home
        defer { try? FileManager.default.removeItem(at: home) }
        let wearable = try await Keys.newKey("wearable", role: "producer", home: home, options: ["--sensor", "ankle-r", "--sensor", "ankle-l"])
        let shown = try ChildProcess("spasmwatch", ["keys", "show", "wearable"], home: home)
        #expect(await shown.wait(timeout: 30) == 0)
        #expect(shown.stdout.contains("may send sensors:    ankle-r, ankle-l"), "\(shown.stdout)")
        let calf = try await Keys.newKey("calf", role: "producer", home: home)  // default: its own name
        let gateway = try await Keys.newKey("gateway", role: "service", home: home)
        let wrong = try ChildProcess("spasmwatch", ["keys", "new", "hub", "--role", "consumer", "--sensor", "x"], home: home)
        #expect(await wrong.wait(timeout: 30) != 0)
        #expect(wrong.stderr.contains("--sensor binds a producer key"), "\(wrong.stderr)")

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        defer { bus.signal(SIGKILL) }
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        defer { sensor.signal(SIGKILL) }
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        let server = try Self.serverKey(home)

        let device = try Keys.handshake(.req, stack.producers, key: wearable, server: server, context: context)
        defer { device.socket.close() }
        #expect(device.accepted == true)
        try device.socket.setReceiveTimeout(milliseconds: 20_000)
        let bound = try await Self.send(device.socket, sensorId: "ankle-l")
        #expect(bound?.ok == true, "a bound sensor is accepted: \(String(describing: bound))")
        let other = try await Self.send(device.socket, sensorId: "wrist")
        #expect(other?.ok == false)
        #expect(other?.reason == "sensor-binding")
        #expect(other?.error == "sensor 'wrist' is not bound to key 'wearable'; this key may send: ankle-r, ankle-l")

        let calfDevice = try Keys.handshake(.req, stack.producers, key: calf, server: server, context: context)
        defer { calfDevice.socket.close() }
        try calfDevice.socket.setReceiveTimeout(milliseconds: 20_000)
        #expect(try await Self.send(calfDevice.socket, sensorId: "calf")?.ok == true)
        #expect(try await Self.send(calfDevice.socket, sensorId: "ankle-r")?.reason == "sensor-binding")

        // A service key may send any sensor id.
        let hub = try Keys.handshake(.req, stack.producers, key: gateway, server: server, context: context)
        defer { hub.socket.close() }
        try hub.socket.setReceiveTimeout(milliseconds: 20_000)
        #expect(try await Self.send(hub.socket, sensorId: "wrist")?.ok == true)

        // Counted by reason, in the sensor's heartbeat.
        let watcher = try Keys.handshake(.sub, stack.subscribe, key: gateway, server: server, context: context)
        defer { watcher.socket.close() }
        try watcher.socket.setReceiveTimeout(milliseconds: 500)
        var refused: Int64 = 0
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && refused < 2 {
            guard let parts = try watcher.socket.receiveMultipart(),
                String(decoding: parts[0], as: UTF8.self) == "heartbeat.spasmwatch-sensor",
                let beat = try? WireCodec.decode(Heartbeat.self, from: parts[1])
            else { continue }
            refused = beat.body.counters["rejected.sensor-binding", default: 0]
        }
        #expect(refused == 2, "refusals counted as rejected.sensor-binding")

        let show = try ChildProcess("spasmwatch", ["keys", "show", "calf"], home: home)
        #expect(await show.wait(timeout: 30) == 0)
        #expect(show.stdout.contains("may send sensors:    calf"), "\(show.stdout)")
        await sensor.stop()
        await bus.stop()
    }
}
