import Foundation
import SpasmErrors
import SpasmMQTT
import SpasmSync
import SpasmTestSupport
import Testing

/// The thin libmosquitto client against a real `mosquitto` on a loopback port.
@Suite("MQTT client", .serialized, .timeLimit(.minutes(2)))
struct MQTTClientTests {
    static let deadline: Double = 30

    /// Collects the client's events on a task until `condition` holds on them.
    static func waitFor(
        _ client: MQTTClient, _ seen: Locked<[MQTTEvent]>, within: Double = deadline, _ condition: @escaping @Sendable ([MQTTEvent]) -> Bool
    ) async -> Bool {
        let end = Date().addingTimeInterval(within)
        while Date() < end {
            if seen.withLock({ condition($0) }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static func collect(_ client: MQTTClient) -> (Locked<[MQTTEvent]>, Task<Void, Never>) {
        let seen = Locked<[MQTTEvent]>([])
        let task = Task {
            while let batch = await client.nextEvents() { seen.withLock { $0.append(contentsOf: batch) } }
        }
        return (seen, task)
    }

    static func messages(_ events: [MQTTEvent], on topic: String) -> [MQTTMessage] {
        events.compactMap { if case .message(let m) = $0, m.topic == topic { return m } else { return nil } }
    }

    @Test("publishes and receives with a user name and password, retained messages reach late subscribers")
    func publishSubscribeRetained() async throws {
        let broker = try await MosquittoTestBroker.start(users: ["ha": "secret one", "sw": "s3cret"])
        defer { broker.kill() }
        let publisher = try await MQTTClient(settings: MQTTClientSettings(url: "mqtt://sw:s3cret@127.0.0.1:\(broker.port)"))
        let subscriber = try await MQTTClient(settings: MQTTClientSettings(url: "mqtt://ha:secret%20one@127.0.0.1:\(broker.port)"))
        let (seen, task) = Self.collect(subscriber)
        try await publisher.publish(MQTTMessage(topic: "t/retained", text: "kept", qos: 1, retain: true))
        try await subscriber.subscribe("t/#")
        try await publisher.publish(MQTTMessage(topic: "t/live", text: "hello", qos: 1))
        #expect(await Self.waitFor(subscriber, seen) { !Self.messages($0, on: "t/live").isEmpty })
        let events = seen.withLock { $0 }
        #expect(events.first == .connected)
        #expect(Self.messages(events, on: "t/retained").map(\.text) == ["kept"])
        #expect(Self.messages(events, on: "t/retained").first?.retain == true)
        #expect(Self.messages(events, on: "t/live").map(\.text) == ["hello"])
        await publisher.stop()
        await subscriber.stop()
        await task.value
    }

    /// Seen in CI: the test process had leaked over 1,000 pipes, so libmosquitto's sockets
    /// were numbered above FD_SETSIZE; `mosquitto_loop` (select) then failed with "invalid
    /// arguments" on every call, the client never saw its CONNACK and a publish waited forever.
    @Test("a client in a process with more than 1,024 open files still connects, publishes and receives")
    func manyOpenFiles() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 1_400 && limit.rlim_max >= 1_400 {
            limit.rlim_cur = 1_400
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let filler = (0..<1_100).map { _ in open("/dev/null", O_RDONLY) }.filter { $0 >= 0 }
        defer { for fd in filler { close(fd) } }
        try #require(filler.count == 1_100, "could not open 1,100 files (RLIMIT_NOFILE \(limit.rlim_cur))")
        let broker = try await MosquittoTestBroker.start()
        defer { broker.kill() }
        let client = try await MQTTClient(settings: MQTTClientSettings(url: "mqtt://127.0.0.1:\(broker.port)"))
        let (seen, task) = Self.collect(client)
        #expect(await Self.waitFor(client, seen) { $0.contains(.connected) }, "\(seen.withLock { $0 })")
        try await client.subscribe("many/#")
        try await client.publish(MQTTMessage(topic: "many/files", text: "still here", qos: 1))
        #expect(await Self.waitFor(client, seen) { Self.messages($0, on: "many/files").map(\.text) == ["still here"] })
        await client.stop()
        await task.value
    }

    @Test("a wrong password is refused with a sentence naming the broker and what to check, and the client keeps retrying")
    func wrongPassword() async throws {
        let broker = try await MosquittoTestBroker.start(users: ["sw": "right"])
        defer { broker.kill() }
        var settings = try MQTTClientSettings(url: broker.url(user: "sw", password: "wrong"))
        settings.reconnectMin = 0.1
        let client = try await MQTTClient(settings: settings)
        let (seen, task) = Self.collect(client)
        #expect(
            await Self.waitFor(client, seen) {
                $0.contains { if case .disconnected(let reason) = $0 { reason.contains("refused") && reason.contains("password") } else { false } }
            })
        #expect(!client.isConnected)
        await client.stop()
        await task.value
    }

    @Test("over TLS, a client trusting the broker's CA publishes and receives; one trusting another CA never connects")
    func tlsChecksTheBrokersCertificate() async throws {
        let broker = try await MosquittoTestBroker.start(users: ["sw": "s3cret"], tls: true)
        defer { broker.kill() }
        let ca = try #require(broker.caFile).path
        let client = try await MQTTClient(settings: MQTTClientSettings(url: broker.url(user: "sw", password: "s3cret"), caFile: ca))
        let (seen, task) = Self.collect(client)
        try await client.subscribe("t/#")
        try await client.publish(MQTTMessage(topic: "t/tls", text: "private", qos: 1))
        #expect(await Self.waitFor(client, seen) { !Self.messages($0, on: "t/tls").isEmpty })
        #expect(seen.withLock { $0.first } == .connected)

        // A CA that did not sign the broker's certificate: the handshake fails, again and again.
        let other = try TestSupport.temporaryHome("mqtt-other-ca")
        defer { try? FileManager.default.removeItem(at: other) }
        let stranger = try MosquittoTestBroker.makeCertificates(in: other).ca.path
        var settings = try MQTTClientSettings(url: broker.url(user: "sw", password: "s3cret"), caFile: stranger)
        settings.reconnectMin = 0.1
        let refused = try await MQTTClient(settings: settings)
        let (refusedSeen, refusedTask) = Self.collect(refused)
        #expect(
            await Self.waitFor(refused, refusedSeen) {
                $0.contains { if case .disconnected(let reason) = $0 { reason.contains("TLS") && reason.contains("mqtt.caFile") } else { false } }
            }, "\(refusedSeen.withLock { $0 })")
        #expect(!refused.isConnected)
        #expect(!refusedSeen.withLock { $0.contains(.connected) }, "\(refusedSeen.withLock { $0 })")
        await refused.stop()
        await refusedTask.value
        await client.stop()
        await task.value
    }

    @Test("after a broker restart the client reconnects and subscribes again")
    func reconnect() async throws {
        let broker = try await MosquittoTestBroker.start()
        defer { broker.kill() }
        var settings = try MQTTClientSettings(url: broker.url)
        settings.keepAlive = 5
        settings.reconnectMin = 0.1
        settings.reconnectMax = 0.5
        settings.will = MQTTMessage(topic: "sw/status", text: "offline", qos: 1, retain: true)
        let watcher = try await MQTTClient(settings: settings)
        let (seen, task) = Self.collect(watcher)
        try await watcher.subscribe("sw/#")
        // Restarting the broker drops both connections; the watcher comes back and its
        // subscription works again.
        try await broker.restart()
        #expect(await Self.waitFor(watcher, seen) { $0.filter { $0 == .connected }.count >= 2 })
        #expect(seen.withLock { $0.contains { if case .disconnected = $0 { true } else { false } } })
        // The watcher subscribes again right after its CONNACK: publish until it hears.
        let probe = try await MQTTClient(settings: MQTTClientSettings(url: broker.url))
        var heard = false
        for _ in 0..<100 where !heard {
            try await probe.publish(MQTTMessage(topic: "sw/after", text: "again", qos: 1))
            heard = await Self.waitFor(watcher, seen, within: 0.3) { !Self.messages($0, on: "sw/after").isEmpty }
        }
        #expect(heard, "the subscription came back after the reconnect")
        await probe.stop()
        // The last will itself: MQTTProcessTests kills spasmwatch-mqtt and sees `offline`.
        await watcher.stop()
        await task.value
    }

    @Test("bad URLs are setting errors that say what is allowed")
    func badURLs() throws {
        for (url, words) in [
            ("http://host", "scheme"), ("mqtt://", "no host"), ("mqtt://host:1883/path", "path"),
        ] {
            #expect {
                _ = try MQTTClientSettings(url: url)
            } throws: { error in
                guard let e = error as? SpasmError else { return false }
                return e.code == .mqttSetting && e.code.isSettingProblem && e.message.contains(words)
            }
        }
        let tls = try MQTTClientSettings(url: "mqtts://u:p%40ss@broker.home")
        #expect(tls.tls && tls.port == 8883 && tls.password == "p@ss" && tls.display == "mqtts://u@broker.home:8883")
        #expect(throws: SpasmError.self) { try MQTTClientSettings(url: "mqtts://h", caFile: "/nonexistent/ca.pem") }
    }
}
