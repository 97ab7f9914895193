import Foundation
import SpasmBus
import SpasmConfig
import SpasmMQTT
import SpasmReliability
import SpasmSchema
import SpasmSync
import SpasmTestSupport
import Testing
import ZeroMQ

/// spasmwatch-mqtt as a real process against a real `mosquitto`: Home Assistant discovery
/// configs, the fall event and alarm, the button's acknowledgement, the last will.
@Suite("MQTT processes", .serialized, .timeLimit(.minutes(5)))
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

        convenience init(url: String) async throws { try await self.init(settings: MQTTClientSettings(url: url)) }

        init(settings: MQTTClientSettings) async throws {
            let client = try await MQTTClient(settings: settings)
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

    /// `eventually` for a condition that asks something (the store) and waits for the answer.
    static func eventuallyAsync(_ timeout: Double = 30, _ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(300))
        }
        return await condition()
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
        // `guest`: any other user of the broker (a DIY sensor, a phone app), with no ACL lines.
        let broker = try await MosquittoTestBroker.start(
            users: ["spasmwatch": "sw pass", "homeassistant": "ha-pass", "guest": "guest-pass"], acl: Self.acl)
        defer { broker.kill() }
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
            _ = try? publisher.publish(testFall, topic: Topic.episode("fall"))
            _ = try? publisher.publish(fall, topic: Topic.episode("fall"))
            _ = try? publisher.publish(alert, topic: Topic.alert(.critical), id: alert.alertId)
            return !watcher.messages("spasmwatch/me/fall/event").isEmpty && watcher.messages("spasmwatch/me/alarm/state").last?.text == "ON"
        }
        #expect(fired)
        let events = watcher.messages("spasmwatch/me/fall/event").compactMap {
            try? JSONSerialization.jsonObject(with: $0.payload) as? [String: Any]
        }
        #expect(events.allSatisfy { $0["event_type"] as? String == "fall" })
        #expect(events.allSatisfy { $0["sensor_id"] as? String == "ankle-r" }, "test-sensor falls fire nothing")

        // Another broker user presses the button: the ACL lets only Home Assistant's user write
        // the command topic, so the broker drops it and the alarm rings on.
        let guest = try await MQTTClient(settings: MQTTClientSettings(url: broker.url(user: "guest", password: "guest-pass")))
        try await guest.publish(MQTTMessage(topic: "spasmwatch/me/alarm/acknowledge", text: "PRESS", qos: 1))
        await guest.stop()
        #expect(
            await Self.eventually {
                broker.child.stderr.contains("Denied PUBLISH from \(guest.settings.clientId) (d0, q1, r0, m1, 'spasmwatch/me/alarm/acknowledge'")
            }, "\(broker.child.stderr.suffix(2000))")
        let statesBefore = watcher.messages("spasmwatch/me/alarm/state").count

        // Home Assistant restarts: every config again, and the states. The broker passes
        // messages on in the order it took them, and the service reads them in that order, so
        // had the guest's PRESS got through, the alarm would say OFF by now.
        let before = watcher.configs().count
        try await watcher.client.publish(MQTTMessage(topic: "homeassistant/status", text: "online", qos: 1))
        #expect(await Self.eventually { watcher.configs().count >= before + 7 && watcher.messages("spasmwatch/me/alarm/state").count > statesBefore })
        #expect(watcher.messages("spasmwatch/me/alarm/state").last?.text == "ON", "a PRESS the ACL refused acknowledged nothing")

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

    @Test("over TLS (mqtts:// and mqtt.caFile) the service connects, checks the broker's certificate and says it is online")
    func tlsToTheBroker() async throws {
        let broker = try await MosquittoTestBroker.start(users: ["spasmwatch": "sw-pass", "homeassistant": "ha-pass"], acl: Self.acl, tls: true)
        defer { broker.kill() }
        let ca = try #require(broker.caFile).path
        let home = try TestSupport.temporaryHome("mqtt-tls")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let watcher = try await Watcher(settings: MQTTClientSettings(url: broker.url(user: "homeassistant", password: "ha-pass"), caFile: ca))
        try await watcher.client.subscribe("spasmwatch/#")
        let service = try ChildProcess(
            "spasmwatch-mqtt", ["--set", "mqtt.url=\(broker.url(user: "spasmwatch", password: "sw-pass"))", "--set", "mqtt.caFile=\(ca)"], home: home)
        #expect(await service.waitForOutput("connected to the MQTT broker"), "\(service.stderr)")
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").last?.text == "online" })
        #expect(service.stderr.contains("mqtts://"), "the log names the TLS broker: \(service.stderr)")
        await service.stop()
        await watcher.stop()
        await bus.stop()
    }

    /// The sensor lines docs/plug-in-a-sensor.md ("2d. MQTT") adds to that ACL: each device
    /// (a broker user named after its sensor id) writes only its own frame topic.
    static let sensorACL = """
        user spasmwatch
        topic read spasmwatch/sensor/+/frame
        topic write spasmwatch/sensor/+/error

        pattern write spasmwatch/sensor/%u/frame
        pattern read spasmwatch/sensor/%u/error

        """

    static let pahoAvailable: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import paho.mqtt.client"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    @Test(
        "DIY sensors: paho-mqtt frames of a recording reach detection (an episode), bad frames get the validator's words on the error topic",
        .enabled(if: MQTTProcessTests.pahoAvailable, "python3 with paho-mqtt is not installed (deploy/stack test installs it)"),
        .enabled(if: TestSupport.sharedDirectory != nil, "../shared/eval/dev is not present beside the repository (set SPASMWATCH_SHARED)"))
    func diySensorFrames() async throws {
        let recording = try #require(TestSupport.sharedDirectory).appendingPathComponent("eval/dev/imu_wrist_a.csv")
        let users = ["spasmwatch": "sw-pass", "imu-wrist": "wrist-pass", "esp32-calf": "calf-pass"]
        let broker = try await MosquittoTestBroker.start(users: users, acl: Self.acl + "\n" + Self.sensorACL)
        defer { broker.kill() }
        let home = try TestSupport.temporaryHome("mqtt-sensor")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        let detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        #expect(await sensor.waitForOutput("bus connected"))
        #expect(await detect.waitForOutput("detection ready"))
        let context = ZMQContext()
        let endpoints = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let subscriber = try BusSubscriber(
            context: context, address: BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe),
            prefixes: ["episode.", "heartbeat.spasmwatch-mqtt"])
        let service = try ChildProcess(
            "spasmwatch-mqtt", ["--set", "mqtt.url=mqtt://spasmwatch:sw-pass@127.0.0.1:\(broker.port)"], home: home)
        #expect(await service.waitForOutput("connected to the MQTT broker"), "\(service.stderr)")
        try await Task.sleep(for: .milliseconds(500))

        // 20 s of a recorded wrist (a phasic spasm at 11.7 s), as frames from paho-mqtt.
        let script = TestSupport.repositoryRoot.appendingPathComponent("examples/mqtt-producer/producer.py").path
        let port = "\(broker.port)"
        let replay = try ChildProcess(
            "/usr/bin/env",
            ["python3", script, "--port", port, "--user", "imu-wrist", "--password", "wrist-pass", "--csv", recording.path, "--seconds", "20"],
            home: home)
        #expect(await replay.wait(timeout: 60) == 0, "\(replay.stdout) \(replay.stderr)")
        #expect(replay.stdout.contains("sent 80 frames from imu-wrist, 0 errors"), "\(replay.stdout) \(service.stderr)")
        var episode: EpisodeEvent?
        var counters: [String: Int64] = [:]
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && episode == nil {
            for m in subscriber.next(timeout: 0.2) ?? [] {
                if let e = try? m.decode(EpisodeEvent.self).body, e.sensorId == "imu-wrist" { episode = e }
            }
        }
        #expect(episode != nil, "an episode from the MQTT sensor reached the bus")
        #expect(episode?.test == true, "the example's frames say test")

        // Samples as base64 Float32: accepted the same way.
        let base64 = try ChildProcess(
            "/usr/bin/env",
            ["python3", script, "--port", port, "--user", "esp32-calf", "--password", "calf-pass", "--base64", "--seconds", "1.5"],
            home: home)
        #expect(await base64.wait(timeout: 30) == 0, "\(base64.stderr)")
        #expect(base64.stdout.contains("sent 3 frames from esp32-calf, 0 errors"), "\(base64.stdout)")

        // A bad frame: the producer endpoint's sentence on the error topic.
        let bad = try ChildProcess(
            "/usr/bin/env", ["python3", script, "--port", port, "--user", "esp32-calf", "--password", "calf-pass", "--bad"], home: home)
        #expect(await bad.wait(timeout: 30) == 0, "\(bad.stderr)")
        #expect(bad.stdout.contains(#""error":"sampleRate 5000 is outside 25–200 Hz for imu""#), "\(bad.stdout)")
        #expect(bad.stdout.contains(#""reason":"range""#), "\(bad.stdout)")

        // A frame for another sensor on one's own topic is refused; another's topic is closed by the ACL.
        let device = try await Watcher(url: broker.url(user: "esp32-calf", password: "calf-pass"))
        try await device.client.subscribe("spasmwatch/sensor/esp32-calf/error")
        let other = #"{"v":1,"sensorId":"imu-wrist","kind":"imu","placement":"left-calf","sampleRate":50,"unit":"g","samples":[0,0,1]}"#
        try await device.client.publish(MQTTMessage(topic: "spasmwatch/sensor/esp32-calf/frame", text: other, qos: 1))
        #expect(await Self.eventually { device.messages("spasmwatch/sensor/esp32-calf/error").contains { $0.text.contains("sensor-binding") } })
        let refusal = device.messages("spasmwatch/sensor/esp32-calf/error").last?.text ?? ""
        #expect(refusal.contains("is not this topic's sensor: a frame on spasmwatch/sensor/esp32-calf/frame must say"), "\(refusal)")
        // Over the size limit: the validator's size sentence.
        let huge = String(repeating: " ", count: 300_000) + other
        try await device.client.publish(MQTTMessage(topic: "spasmwatch/sensor/esp32-calf/frame", text: huge, qos: 1))
        #expect(await Self.eventually { device.messages("spasmwatch/sensor/esp32-calf/error").contains { $0.text.contains(#""reason":"size""#) } })
        await device.stop()

        // The heartbeat counts what was forwarded and refused, by reason.
        let counted = await Self.eventually {
            for m in subscriber.next(timeout: 0.2) ?? [] {
                if let h = try? m.decode(Heartbeat.self).body { counters = h.counters }
            }
            return counters["sensor_frames.rejected.size"] == 1
        }
        #expect(counted, "\(counters)")
        #expect(counters["sensor_frames.forwarded"] == 83, "\(counters)")
        #expect(counters["sensor_frames.rejected.range"] == 1 && counters["sensor_frames.rejected.sensor-binding"] == 1, "\(counters)")
        await subscriber.closeAsync()
        context.terminate()
        await service.stop()
        await detect.stop()
        await sensor.stop()
        await bus.stop()
    }

    @Test("a restart of spasmwatch-mqtt keeps a ringing alarm on, and a fall that came while it was down rings it; the button still answers it")
    func theAlarmOutlivesARestart() async throws {
        let broker = try await MosquittoTestBroker.start(users: ["spasmwatch": "sw pass", "homeassistant": "ha-pass"], acl: Self.acl)
        defer { broker.kill() }
        let home = try TestSupport.temporaryHome("mqtt-restart")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let watcher = try await Watcher(url: broker.url(user: "homeassistant", password: "ha-pass"))
        try await watcher.client.subscribe("spasmwatch/#")
        let url = "mqtt.url=mqtt://spasmwatch:sw%20pass@127.0.0.1:\(broker.port)"
        var service = try ChildProcess("spasmwatch-mqtt", ["--set", url], home: home)
        #expect(await service.waitForOutput("connected to the MQTT broker"), "\(service.stderr)")
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "OFF" })

        let context = ZMQContext()
        let endpoints = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let publisher = try BusPublisher(
            context: context, address: BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe), source: "test")
        func fallAlert() -> Alert {
            Alert(
                kind: "fall", severity: .critical, groupKey: "fall:right-leg", title: "Possible fall", message: "A fall.",
                at: Date().timeIntervalSince1970, sensorId: "ankle-r", site: .rightAnkle)
        }
        let storage = StoreClient(context: context, endpoint: endpoints.storeQuery, timeoutSeconds: 3)
        func stored(_ alert: Alert) async -> Bool {
            await Self.eventuallyAsync {
                _ = try? publisher.publish(alert, topic: Topic.alert(.critical), id: alert.alertId)
                let answer = try? await storage.send(StoreRequest(query: .alerts, idPrefix: alert.alertId.uuidString.lowercased()))
                return answer?.alerts?.isEmpty == false
            }
        }

        // The alarm rings; spasmwatch-mqtt is killed and started again.
        let first = fallAlert()
        #expect(await stored(first), "the store has the first fall alert")
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "ON" })
        service.signal(SIGKILL)
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").last?.text == "offline" })
        let announced = watcher.messages("spasmwatch/me/status").count
        service = try ChildProcess("spasmwatch-mqtt", ["--set", url], home: home)
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").dropFirst(announced).contains { $0.text == "online" } })
        // Everything announced again, the alarm among it: still ON, never OFF after the restart.
        try? await Task.sleep(for: .seconds(2))
        let afterRestart = watcher.messages("spasmwatch/me/alarm/state").map(\.text)
        #expect(afterRestart.last == "ON", "alarm states seen: \(afterRestart)")

        // Down again: a second fall arrives meanwhile; on start the alarm is on for both.
        service.signal(SIGKILL)
        #expect(await service.wait(timeout: 10) != nil)
        let second = fallAlert()
        #expect(await stored(second), "the store has the fall that came while spasmwatch-mqtt was down")
        let onlineBefore = watcher.messages("spasmwatch/me/status").count
        service = try ChildProcess("spasmwatch-mqtt", ["--set", url], home: home)
        #expect(await service.waitForOutput("keeps the alarm on"), "\(service.stderr)")
        // Subscribed again once it has announced itself online.
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").dropFirst(onlineBefore).contains { $0.text == "online" } })
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "ON" })

        // The button answers the newest, then the first: the alarm goes off only after both.
        try await watcher.client.publish(MQTTMessage(topic: "spasmwatch/me/alarm/acknowledge", text: "PRESS", qos: 1))
        try await watcher.client.publish(MQTTMessage(topic: "spasmwatch/me/alarm/acknowledge", text: "PRESS", qos: 1))
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "OFF" })
        let acknowledged = await Self.eventuallyAsync {
            let answer = try? await storage.send(StoreRequest(query: .alerts, kinds: ["fall"]))
            return answer?.alerts?.filter { $0.acknowledgements.contains { $0.by == "home-assistant" } }.count == 2
        }
        #expect(acknowledged, "both falls acknowledged by home-assistant in the store")

        await service.stop()
        await watcher.stop()
        await store.stop()
        await bus.stop()
    }

    @Test(
        "a fall replayed from a recording as a worn sensor goes sensor → detect → spasmwatch-mqtt: the fall event fires, the alarm rings, the button clears it",
        .enabled(if: TestSupport.sharedDirectory != nil, "../shared/eval/dev is not present beside the repository (set SPASMWATCH_SHARED)"))
    func aReplayedFallRingsTheAlarm() async throws {
        let home = try TestSupport.temporaryHome("mqtt-fall-drill")
        defer { try? FileManager.default.removeItem(at: home) }
        // One minute of a recorded wrist around its labelled fall (200.7 s), as a recording of its own.
        let source = try #require(TestSupport.sharedDirectory).appendingPathComponent("eval/dev/imu_wrist_a.csv")
        let rows = try String(contentsOf: source, encoding: .utf8).split(separator: "\n")
        let window = rows.dropFirst().filter { row in Double(row.prefix { $0 != "," }).map { $0 >= 170 && $0 < 230 } ?? false }
        #expect(window.count > 5000)
        let drill = home.appendingPathComponent("fall-drill.csv")
        try ([String(rows[0])] + window.map(String.init)).joined(separator: "\n").appending("\n").write(to: drill, atomically: true, encoding: .utf8)

        let broker = try await MosquittoTestBroker.start(users: ["spasmwatch": "sw pass", "homeassistant": "ha-pass"], acl: Self.acl)
        defer { broker.kill() }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        let detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        #expect(await detect.waitForOutput("detection ready"))
        let watcher = try await Watcher(url: broker.url(user: "homeassistant", password: "ha-pass"))
        try await watcher.client.subscribe("spasmwatch/#")
        let service = try ChildProcess("spasmwatch-mqtt", ["--set", "mqtt.url=mqtt://spasmwatch:sw%20pass@127.0.0.1:\(broker.port)"], home: home)
        #expect(await service.waitForOutput("connected to the MQTT broker"), "\(service.stderr)")
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "OFF" })

        let replay = try ChildProcess(
            "spasmwatch-sensor", ["replay", drill.path, "--as-worn", "--sensor-id", "wrist-drill", "--placement", "left-wrist", "--speed", "max"],
            home: home)
        #expect(await replay.wait(timeout: 120) == 0, "\(replay.stdout)")
        #expect(replay.stdout.contains("as a worn sensor"), "\(replay.stdout)")
        let rang = await Self.eventually(60) {
            let fell = watcher.messages("spasmwatch/me/fall/event").contains {
                ((try? JSONSerialization.jsonObject(with: $0.payload)) as? [String: Any])?["sensor_id"] as? String == "wrist-drill"
            }
            return fell && watcher.messages("spasmwatch/me/alarm/state").last?.text == "ON"
        }
        #expect(rang, "fall events: \(watcher.messages("spasmwatch/me/fall/event").map(\.text)); detect: \(detect.stderr.suffix(1500))")

        // Home Assistant's button: the alarm off, the fall acknowledged by home-assistant in the store.
        try await watcher.client.publish(MQTTMessage(topic: "spasmwatch/me/alarm/acknowledge", text: "PRESS", qos: 1))
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/alarm/state").last?.text == "OFF" })
        let context = ZMQContext()
        let endpoints = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let storage = StoreClient(context: context, endpoint: endpoints.storeQuery, timeoutSeconds: 3)
        let acknowledged = await Self.eventuallyAsync {
            let answer = try? await storage.send(StoreRequest(query: .alerts, kinds: ["fall"]))
            return answer?.alerts?.contains { $0.alert.sensorId == "wrist-drill" && $0.acknowledgements.contains { $0.by == "home-assistant" } }
                == true
        }
        #expect(acknowledged, "the drill's fall is acknowledged by home-assistant in the store")
        for process in [service, detect, sensor, store, bus] { await process.stop() }
        await watcher.stop()
    }

    @Test("a spasm detected while spasmwatch-mqtt was down fires late when it starts again, once; spasms today is read back from the store")
    func missedEpisodesFireLateOnce() async throws {
        let broker = try await MosquittoTestBroker.start(users: ["spasmwatch": "sw pass", "homeassistant": "ha-pass"], acl: Self.acl)
        defer { broker.kill() }
        let home = try TestSupport.temporaryHome("mqtt-late")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let watcher = try await Watcher(url: broker.url(user: "homeassistant", password: "ha-pass"))
        try await watcher.client.subscribe("spasmwatch/#")
        let url = "mqtt.url=mqtt://spasmwatch:sw%20pass@127.0.0.1:\(broker.port)"
        var service = try ChildProcess("spasmwatch-mqtt", ["--set", url], home: home)
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").last?.text == "online" })
        let journal = home.appendingPathComponent("data/mqtt-fired.json")
        #expect(FileManager.default.fileExists(atPath: journal.path), "the first start makes the journal")
        service.signal(SIGKILL)
        #expect(await service.wait(timeout: 10) != nil)

        // While it is down: a worn sensor's clonus and a test sensor's, both stored.
        let context = ZMQContext()
        let endpoints = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let publisher = try BusPublisher(
            context: context, address: BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe), source: "test")
        let now = Date().timeIntervalSince1970
        let worn = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .clonus, sensorId: "calf-r", site: .rightCalf, start: now - 1, detectedAt: now, confidence: 0.8)
        let simulated = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .clonus, sensorId: "sim-1", site: .rightCalf, start: now - 1, detectedAt: now, confidence: 0.8,
            test: true)
        let storage = StoreClient(context: context, endpoint: endpoints.storeQuery, timeoutSeconds: 3)
        var stored: [StoredEpisode] = []
        let both = await Self.eventuallyAsync {
            _ = try? publisher.publish(worn, topic: Topic.episode("clonus"))
            _ = try? publisher.publish(simulated, topic: Topic.episode("clonus"))
            stored = (try? await storage.send(StoreRequest(query: .episodes, from: now - 60)))?.episodes ?? []
            return stored.count == 2
        }
        #expect(both, "\(stored)")
        #expect(stored.first { $0.episodeId == worn.episodeId }?.test == nil)
        #expect(stored.first { $0.episodeId == simulated.episodeId }?.test == true, "the store keeps the test flag")

        // Started again: the worn sensor's spasm fires, marked late; the test sensor's does not; today's count is 1.
        let statesBefore = watcher.messages("spasmwatch/me/spasms_today/state").count
        service = try ChildProcess("spasmwatch-mqtt", ["--set", url], home: home)
        #expect(await Self.eventually { !watcher.messages("spasmwatch/me/spasm/event").isEmpty }, "\(service.stderr)")
        let fired = watcher.messages("spasmwatch/me/spasm/event").compactMap { try? JSONSerialization.jsonObject(with: $0.payload) as? [String: Any] }
        #expect(fired.count == 1 && fired.first?["episode_id"] as? String == worn.episodeId.uuidString.lowercased(), "\(fired)")
        #expect(fired.first?["late"] as? Bool == true)
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/spasms_today/state").dropFirst(statesBefore).last?.text == "1" })
        #expect(service.stderr.contains("fired late"), "\(service.stderr)")

        // Once more: nothing fires again, and the count is still read back.
        #expect(await Self.eventually { (try? String(contentsOf: journal, encoding: .utf8))?.contains(worn.episodeId.uuidString) == true })
        await service.stop()
        let onlineBefore = watcher.messages("spasmwatch/me/status").count
        let countsBefore = watcher.messages("spasmwatch/me/spasms_today/state").count
        service = try ChildProcess("spasmwatch-mqtt", ["--set", url], home: home)
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/status").dropFirst(onlineBefore).contains { $0.text == "online" } })
        #expect(await Self.eventually { watcher.messages("spasmwatch/me/spasms_today/state").count > countsBefore })
        #expect(watcher.messages("spasmwatch/me/spasms_today/state").last?.text == "1")
        #expect(watcher.messages("spasmwatch/me/spasm/event").count == 1, "fired once across restarts")
        await service.stop()
        await watcher.stop()
        await store.stop()
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
