import Foundation
import SpasmTestSupport
import Testing
import ZeroMQ

/// On tcp every key has a role (issue 12, point 7): producers reach only the producer
/// endpoint, consumers only the bus's subscribe side, services the bus (both sides) and the
/// producer endpoint. Real bus and sensor processes; the test's own sockets hold the keys.
@Suite("Key roles on tcp", .serialized)
struct KeyRolesProcessTests {
    /// A free tcp port on loopback (bound, read, released).
    static func freePort(_ context: ZMQContext) throws -> Int {
        let probe = try ZMQSocket(context: context, type: .pull)
        defer { probe.close() }
        try probe.bind("tcp://127.0.0.1:*")
        return Int(try #require(probe.lastEndpoint?.split(separator: ":").last.flatMap { Int($0) }))
    }

    struct Key {
        let publicKey: String
        let secretKey: String
    }

    /// Writes `keys/allowed/<folder>/<name>.public` and returns the pair.
    static func allow(_ name: String, in folder: String?, home: URL) throws -> Key {
        let keys = try CurveKeys.generate()
        var dir = home.appendingPathComponent("keys/allowed")
        if let folder { dir = dir.appendingPathComponent(folder) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try keys.publicKey.write(to: dir.appendingPathComponent("\(name).public"), atomically: false, encoding: .utf8)
        return Key(publicKey: keys.publicKey, secretKey: keys.secretKey)
    }

    /// `spasmwatch keys new NAME --role ROLE`, the pair read back from `keys show NAME`.
    static func newKey(_ name: String, role: String, home: URL, options: [String] = []) async throws -> Key {
        let made = try ChildProcess("spasmwatch", ["keys", "new", name, "--role", role] + options, home: home)
        #expect(await made.wait(timeout: 30) == 0, "keys new: \(made.stderr)")
        let show = try ChildProcess("spasmwatch", ["keys", "show", name], home: home)
        #expect(await show.wait(timeout: 30) == 0, "keys show: \(show.stderr)")
        func field(_ label: String) throws -> String {
            let line = try #require(show.stdout.split(separator: "\n").first { $0.hasPrefix(label) }, "\(label) in \(show.stdout)")
            return line.dropFirst(label.count).trimmingCharacters(in: .whitespaces)
        }
        #expect(show.stdout.contains("(\(role))"))
        return Key(publicKey: try field("public key:"), secretKey: try field("secret key:"))
    }

    /// Connects a socket with `key` and waits for the CURVE handshake's outcome.
    static func handshake(
        _ type: ZMQSocketType, _ endpoint: String, key: Key, server: String,
        context: ZMQContext
    ) throws -> (socket: ZMQSocket, accepted: Bool?) {
        let socket = try ZMQSocket(context: context, type: type)
        let monitor = try ZMQMonitor(watching: socket, context: context, events: ZMQMonitorEvent.allEvents)
        defer { monitor.close() }
        try socket.setLinger(milliseconds: 0)
        try socket.makeCurveClient(serverKey: server, publicKey: key.publicKey, secretKey: key.secretKey)
        if type == .sub { try socket.subscribe("") }
        try socket.connect(endpoint)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            for event in monitor.drain() {
                if event.event == ZMQMonitorEvent.handshakeSucceeded { return (socket, true) }
                if event.event == ZMQMonitorEvent.handshakeFailedAuth { return (socket, false) }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return (socket, nil)
    }

    @Test func eachRoleReachesOnlyItsOwnSockets() async throws {
        let home = try TestSupport.temporaryHome("keys")
        defer { try? FileManager.default.removeItem(at: home) }
        let context = ZMQContext()
        defer { context.terminate() }
        let publishPort = try Self.freePort(context)
        let subscribePort = try Self.freePort(context)
        let producerPort = try Self.freePort(context)
        try """
        {"bus": {"transport": "tcp", "tcpPublishPort": \(publishPort), "tcpSubscribePort": \(subscribePort)},
         "sensor": {"producerTcpPort": \(producerPort), "httpPort": \(try Self.freePort(context))}}
        """.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let wearable = try await Self.newKey("wearable", role: "producer", home: home)
        let phone = try await Self.newKey("phone", role: "consumer", home: home)
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("keys/allowed/producers/wearable.public").path))
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("keys/allowed/consumers/phone.public").path))
        let legacy = try Self.allow("old-laptop", in: nil, home: home)  // today's flat layout

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        defer { bus.signal(SIGKILL) }
        #expect(await bus.waitForOutput("bus running"))
        // The flat key became a service key, and the log said so.
        #expect(bus.stderr.contains("old-laptop"), "the move of a flat key is logged: \(bus.stderr)")
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("keys/allowed/services/old-laptop.public").path))
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("keys/allowed/old-laptop.public").path))

        let server = try String(contentsOf: home.appendingPathComponent("keys/bus.public"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let publish = "tcp://127.0.0.1:\(publishPort)"
        let subscribe = "tcp://127.0.0.1:\(subscribePort)"

        // A producer key can neither subscribe nor publish on the bus.
        let producerSub = try Self.handshake(.sub, subscribe, key: wearable, server: server, context: context)
        #expect(producerSub.accepted == false, "a producer key must not subscribe")
        let producerPub = try Self.handshake(.pub, publish, key: wearable, server: server, context: context)
        #expect(producerPub.accepted == false, "a producer key must not publish on the bus")

        // A consumer key subscribes (and hears the bus's heartbeat) but cannot publish.
        let consumerSub = try Self.handshake(.sub, subscribe, key: phone, server: server, context: context)
        #expect(consumerSub.accepted == true)
        try consumerSub.socket.setReceiveTimeout(milliseconds: 20_000)
        let heard = try consumerSub.socket.receiveMultipart()
        #expect(heard.map { String(decoding: $0[0], as: UTF8.self).hasPrefix("heartbeat.") } == true)
        let consumerPub = try Self.handshake(.pub, publish, key: phone, server: server, context: context)
        #expect(consumerPub.accepted == false, "a consumer key must not publish")

        // A service key (the moved flat one) has both bus sides.
        let servicePub = try Self.handshake(.pub, publish, key: legacy, server: server, context: context)
        #expect(servicePub.accepted == true)
        let serviceSub = try Self.handshake(.sub, subscribe, key: legacy, server: server, context: context)
        #expect(serviceSub.accepted == true)

        // The producer endpoint (in the sensor process): producers and services yes, consumers no.
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        defer { sensor.signal(SIGKILL) }
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        let producers = "tcp://127.0.0.1:\(producerPort)"
        let producerReq = try Self.handshake(.req, producers, key: wearable, server: server, context: context)
        #expect(producerReq.accepted == true, "a producer key reaches the producer endpoint")
        let consumerReq = try Self.handshake(.req, producers, key: phone, server: server, context: context)
        #expect(consumerReq.accepted == false, "a consumer key must not send frames")
        let serviceReq = try Self.handshake(.req, producers, key: legacy, server: server, context: context)
        #expect(serviceReq.accepted == true)

        // Revoked: the next connection with that key is refused, without a restart.
        let revoke = try ChildProcess("spasmwatch", ["keys", "revoke", "wearable"], home: home)
        #expect(await revoke.wait(timeout: 30) == 0)
        let revokedReq = try Self.handshake(.req, producers, key: wearable, server: server, context: context)
        #expect(revokedReq.accepted == false, "a revoked key is refused")
        revokedReq.socket.close()
        let list = try ChildProcess("spasmwatch", ["keys", "list"], home: home)
        #expect(await list.wait(timeout: 30) == 0)
        #expect(list.stdout.contains("phone") && list.stdout.contains("consumer") && list.stdout.contains("old-laptop"))
        #expect(!list.stdout.contains("wearable"))

        for s in [producerSub, producerPub, consumerSub, consumerPub, servicePub, serviceSub, producerReq, consumerReq, serviceReq] {
            s.socket.close()
        }
        await sensor.stop()
        await bus.stop()
    }
}
