import Foundation
import SpasmBus
import SpasmConfig
import SpasmMQTT
import SpasmSchema
import SpasmSync
import SpasmTestSupport
import Testing
import ZeroMQ

/// spasmwatch-mqtt as a real process against a real `mosquitto`: Home Assistant discovery
/// configs, the fall event and alarm, the button's acknowledgement, the last will.
@Suite("MQTT processes", .serialized)
struct MQTTProcessTests {
    /// The keys Home Assistant's MQTT discovery requires per component (its docs:
    /// event.mqtt, sensor.mqtt, binary_sensor.mqtt, button.mqtt), plus what we promise on each.
    static let required: [String: [String]] = [
        "event": ["state_topic", "event_types"], "sensor": ["state_topic"], "binary_sensor": ["state_topic"], "button": ["command_topic"],
    ]
    static let promised = ["unique_id", "name", "device", "availability_topic"]

    /// Home Assistant's side: an MQTT client that records every message.
    final class Watcher: Sendable {
        let client: MQTTClient
        let seen: Locked<[MQTTMessage]>
        let reader: Task<Void, Never>

        init(url: String) async throws {
            let client = try await MQTTClient(settings: MQTTClientSettings(url: url))
            self.client = client
            let seen = Locked<[MQTTMessage]>([])
            self.seen = seen
            reader = Task {
                while let events = await client.nextEvents() {
                    for case .message(let m) in events { seen.withLock { $0.append(m) } }
                }
            }
        }

        func messages(_ topic: String) -> [MQTTMessage] { seen.withLock { $0.filter { $0.topic == topic } } }
        func configs() -> [MQTTMessage] { seen.withLock { $0.filter { $0.topic.hasPrefix("homeassistant/") && $0.topic.hasSuffix("/config") } } }

        func stop() async {
            await client.stop()
            await reader.value
        }
    }

    static func eventually(_ timeout: Double = 30, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// The ACL docs/home-assistant.md tells users to write.
    static let acl = """
        user spasmwatch
        topic readwrite homeassistant/#
        topic write spasmwatch/+/status
        topic write spasmwatch/+/+/event
        topic write spasmwatch/+/+/state
        topic write spasmwatch/+/device/#
        topic read spasmwatch/+/alarm/acknowledge

        user homeassistant
        topic readwrite homeassistant/#
        topic read spasmwatch/#
        topic write spasmwatch/+/alarm/acknowledge

        """

    @Test("discovery configs are valid, a fall fires the event and turns the alarm on, the button acknowledges it, the last will says offline")
    func homeAssistantDiscovery() async throws {
        let broker = try await MosquittoTestBroker.start(users: ["spasmwatch": "sw pass", "homeassistant": "ha-pass"], acl: Self.acl)
        defer { Task { await broker.stop() } }
        let home = try TestSupport.temporaryHome("mqtt")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let watcher = try await Watcher(url: broker.url(user: "homeassistant", password: "ha-pass"))
        try await watcher.client.subscribe("homeassistant/#")
        try await watcher.client.subscribe("spasmwatch/#")
        let service = try ChildProcess(
            "spasmwatch-mqtt", ["--set", "mqtt.url=mqtt://spasmwatch:sw%20pass@127.0.0.1:\(broker.port)"], home: home)
        #expect(await service.waitForOutput("connected to the MQTT broker"), "\(service.stderr)")

        // Seven entities of the person, each config valid JSON with its component's keys.
        #expect(await Self.eventually { Set(watcher.configs().map(\.topic)).count >= 7 }, "\(watcher.configs().map(\.topic))")
        for message in watcher.configs() {
            let parts = message.topic.split(separator: "/")
            #expect(parts.count == 4 && parts[2].hasPrefix("spasmwatch_me_"), "\(message.topic)")
            let component = String(parts[1])
            let object = try #require(try JSONSerialization.jsonObject(with: message.payload) as? [String: Any], "\(message.topic)")
            for key in (Self.required[component] ?? ["?unknown component"]) + Self.promised {
                #expect(object[key] != nil, "\(message.topic) lacks \(key)")
            }
            #expect(object["unique_id"] as? String == String(parts[2]))
            #expect(((object["device"] as? [String: Any])?["identifiers"] as? [String])?.isEmpty == false)
            if component == "event" { #expect((object["event_types"] as? [String])?.isEmpty == false) }
        }
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").last?.text == "online" })
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "OFF" })

        // A fall from detection (episode, then its critical alert) on the bus.
        let context = ZMQContext()
        let endpoints = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let address = BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe)
        let publisher = try BusPublisher(context: context, address: address, source: "test")
        let acks = try BusSubscriber(context: context, address: address, prefixes: [Topic.acknowledgement])
        let now = Date().timeIntervalSince1970
        let fall = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .fall, sensorId: "ankle-r", site: .rightAnkle, start: now, detectedAt: now, confidence: 0.9)
        let alert = Alert(
            kind: "fall", severity: .critical, groupKey: "fall:right-leg", title: "Possible fall", message: "A fall.", at: now,
            episodeId: fall.episodeId, sensorId: "ankle-r", site: .rightAnkle)
        let testFall = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .fall, sensorId: "sim-1", site: .rightAnkle, start: now, detectedAt: now, confidence: 0.9,
            test: true)
        // Pub/sub: the first messages may meet a subscription still being set up; re-send.
        let fired = await Self.eventually {
            try? publisher.publish(testFall, topic: Topic.episode("fall"))
            try? publisher.publish(fall, topic: Topic.episode("fall"))
            try? publisher.publish(alert, topic: Topic.alert(.critical), id: alert.alertId)
            return !watcher.messages("spasmwatch/me/fall/event").isEmpty && watcher.messages("spasmwatch/me/alarm/state").last?.text == "ON"
        }
        #expect(fired)
        let events = watcher.messages("spasmwatch/me/fall/event").compactMap {
            try? JSONSerialization.jsonObject(with: $0.payload) as? [String: Any]
        }
        #expect(events.allSatisfy { $0["event_type"] as? String == "fall" })
        #expect(events.allSatisfy { $0["sensor_id"] as? String == "ankle-r" }, "test-sensor falls fire nothing")

        // Home Assistant restarts: every config again.
        let before = watcher.configs().count
        try await watcher.client.publish(MQTTMessage(topic: "homeassistant/status", text: "online", qos: 1))
        #expect(await Self.eventually { watcher.configs().count >= before + 7 })

        // The button: an acknowledgement by home-assistant on the bus, the alarm off.
        try await watcher.client.publish(MQTTMessage(topic: "spasmwatch/me/alarm/acknowledge", text: "PRESS", qos: 1))
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "OFF" })
        let acknowledged = await Self.eventually {
            (acks.next(timeout: 0.1) ?? []).contains {
                (try? $0.decode(Acknowledgement.self))?.body.by == "home-assistant"
            }
        }
        #expect(acknowledged, "the acknowledgement reached the bus, by home-assistant")

        // The configs are retained: a client subscribing now (Home Assistant started later) gets them.
        let late = try await Watcher(url: broker.url(user: "homeassistant", password: "ha-pass"))
        try await late.client.subscribe("homeassistant/#")
        #expect(await Self.eventually { late.configs().filter(\.retain).count >= 7 })
        await late.stop()

        // Killed: the broker publishes the last will.
        service.signal(SIGKILL)
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").last?.text == "offline" })
        acks.stop()
        await watcher.stop()
        await bus.stop()
    }

    @Test("without mqtt.url the service says what to set and exits 2")
    func offByDefault() async throws {
        let home = try TestSupport.temporaryHome("mqtt-off")
        defer { try? FileManager.default.removeItem(at: home) }
        let service = try ChildProcess("spasmwatch-mqtt", home: home)
        #expect(await service.wait(timeout: 30) == 2)
        #expect(service.stderr.contains("mqtt.url") || service.stdout.contains("mqtt.url"))
    }
}
