import Foundation
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmHomeAssistant
import SpasmMQTT
import SpasmProducer
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmSync
import Synchronization

/// The running bridge: bus messages become Home Assistant firings and states; MQTT
/// (re)connections and Home Assistant's `online` publish every config again; the button's
/// command acknowledges the open fall alarm.
final class MQTTService: Service, Sendable {
    let environment: ServiceEnvironment
    let client: MQTTClient
    let inbox: BusSubscriber
    let sender: ReliableSender
    let bridge: Locked<HomeAssistantBridge>
    /// What is waiting for the broker, in order: a firing that met a dropped connection is
    /// sent again (at least once) until the broker has it.
    let pending = HandoffQueue<MQTTOut>(capacity: 10_000)
    /// DIY sensors' frames on their way to the producer endpoint.
    let sensorFrames: SensorFrames
    /// Where the open fall alarms of before a restart are read back from.
    let store: StoreClient
    /// How far back an unacknowledged fall alert still rings the alarm after a restart.
    static let recoveryWindow: Double = 7 * 86_400
    let stopping = Atomic<Bool>(false)
    /// What the broker has taken of the firings, kept across restarts (the bridge's own
    /// `fired` also holds those still on their way).
    let journal: FiringJournal
    let journaled: Locked<FiredEpisodes>
    /// From when the store's episodes are fired after this start (nil: the first start).
    let catchUpFrom: Double?

    /// `producerSecurity`: this service's key for the producer endpoint on tcp (a service key
    /// may send any sensor id; the topic's sensor id is checked here).
    init(
        environment: ServiceEnvironment, client: MQTTClient, inbox: BusSubscriber, sender: ReliableSender, bridge: HomeAssistantBridge,
        journal: FiringJournal, catchUpFrom: Double?, producerSecurity security: BusSecurity?
    ) {
        let pending = self.pending
        let counters = environment.counters
        sensorFrames = SensorFrames(
            forwarder: SensorForwarder(endpoint: environment.endpoints.sensorProducers, security: security, name: "mqtt-sensors"),
            maxFrameBytes: environment.configuration.sensor.maxFrameBytes, topicPrefix: bridge.discovery.topicPrefix, counters: counters
        ) { if !pending.offer($0) { counters.add("mqtt.dropped") } }
        self.environment = environment
        self.client = client
        self.inbox = inbox
        self.sender = sender
        self.bridge = Locked(bridge)
        self.journal = journal
        self.journaled = Locked(bridge.fired)
        self.catchUpFrom = catchUpFrom
        store = StoreClient(context: environment.context, endpoint: environment.endpoints.storeQuery, timeoutSeconds: 3)
    }

    var discovery: HomeAssistantDiscovery { bridge.withLock { $0.discovery } }

    func run() async throws {
        // The alarm and today's count as the store knows them, before the first announcement says OFF.
        let recovered = await recoverFromStore(attempts: 3)
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { for await message in self.inbox.messages { self.handle(message) } }
                    group.addTask { await self.readBroker() }
                    group.addTask { await self.publishPending() }
                    group.addTask { await self.sensorFrames.run() }
                    if !recovered {
                        // The store was not up yet: keep asking, the alarm turns on when it answers.
                        group.addTask {
                            while !self.stopping.load(ordering: .acquiring), await !self.recoverFromStore(attempts: 1) {
                                try? await Task.sleep(for: .seconds(5))
                            }
                        }
                    }
                    await group.waitForAll()
                    await self.sensorFrames.stop()
                }
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .releasing)
                self.inbox.stop()
                self.pending.close()
                self.sensorFrames.queue.close()
                Task { await self.goOffline() }
            }
        } onCancel: {
            self.stopping.store(true, ordering: .releasing)
            self.inbox.stop()
            self.pending.close()
            self.sensorFrames.queue.close()
        }
    }

    /// Asks the store for this person's fall alerts of the last week (the unacknowledged
    /// critical ones ring the alarm again) and episodes since local midnight or `catchUpFrom`
    /// (today's spasms are counted; those detected while this service was down are fired
    /// late). False when the store did not answer.
    func recoverFromStore(attempts: Int) async -> Bool {
        let now = Date().timeIntervalSince1970
        let person = discovery.person
        let alerts = StoreRequest(query: .alerts, from: now - Self.recoveryWindow, person: person, kinds: [EpisodeKind.fall.rawValue], limit: 1000)
        let midnight = bridge.withLock { $0.startOfDay(now) }
        // A fall's start may be a little before its detection: ask from a minute earlier.
        let episodes = StoreRequest(query: .episodes, from: min(midnight, catchUpFrom ?? midnight) - 60, person: person, limit: 10_000)
        for attempt in 1...attempts {
            do {
                let stored = try await store.send(alerts).alerts ?? []
                let storedEpisodes = try await store.send(episodes).episodes ?? []
                let catchUpFrom = self.catchUpFrom
                let (out, late) = bridge.withLock { bridge in
                    let alarm = bridge.recover(stored)
                    let fired = bridge.fired.ids.count
                    let counted = bridge.recover(episodes: storedEpisodes, catchUpFrom: catchUpFrom, now: now)
                    return (alarm + counted, bridge.fired.ids.count - fired)
                }
                if out.contains(where: { $0.topic == discovery.alarmTopic }) {
                    environment.counters.add("alarm.recovered")
                    environment.logger.notice(
                        "an unacknowledged fall from before the restart keeps the alarm on",
                        metadata: ["alerts": "\(bridge.withLock { $0.openFalls.count })"])
                }
                if late > 0 {
                    environment.counters.add("events.fired_late", Int64(late))
                    environment.logger.notice(
                        "events of episodes detected while spasmwatch-mqtt was down are fired late", metadata: ["episodes": "\(late)"])
                }
                enqueue(out)
                return true
            } catch {
                if attempt == attempts {
                    environment.logger.warning(
                        "the store did not answer: open fall alarms are read back when it does", metadata: ["error": "\(error)"])
                }
            }
        }
        return false
    }

    /// A clean stop sends no last will: say `offline` first.
    func goOffline() async {
        try? await client.publish(MQTTMessage(topic: discovery.availabilityTopic, text: "offline", qos: 1, retain: true))
        await client.stop()
    }

    func enqueue(_ out: [MQTTOut]) {
        for message in out where !pending.offer(message) { environment.counters.add("mqtt.dropped") }
    }

    /// The broker has an event firing: the journal says so, so a restart never fires it again.
    func delivered(_ firing: FiredEpisodes.Firing) {
        let fired = journaled.withLock { journaled in
            journaled.delivered(firing)
            return journaled
        }
        do {
            try journal.save(fired)
        } catch {
            environment.counters.add("journal.unwritten")
            environment.logger.error("the record of fired events cannot be written", metadata: ["error": "\(error)"])
        }
    }

    func publishPending() async {
        while let batch = await pending.nextBatch() {
            for out in batch {
                var attempt = 0
                while true {
                    do {
                        try await client.publish(MQTTMessage(topic: out.topic, payload: out.payload, qos: 1, retain: out.retain))
                        environment.counters.add("mqtt.published")
                        if let firing = out.firing { delivered(firing) }
                        break
                    } catch let error as SpasmError where error.detail == "stopped" {
                        return
                    } catch {
                        attempt += 1
                        environment.counters.add("mqtt.publish_retried")
                        if attempt == 1 {
                            environment.logger.notice("MQTT publish will be retried", metadata: ["topic": "\(out.topic)", "error": "\(error)"])
                        }
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
        }
    }

    func readBroker() async {
        let discovery = self.discovery
        while let events = await client.nextEvents() {
            for event in events {
                switch event {
                case .connected:
                    environment.counters.add("mqtt.connected")
                    environment.logger.info("connected to the MQTT broker", metadata: ["broker": "\(client.settings.display)"])
                    await subscribe(discovery)
                    announce()
                case .disconnected(let reason):
                    environment.counters.add("mqtt.disconnected")
                    environment.logger.warning("MQTT broker unreachable; retrying with backoff", metadata: ["reason": "\(reason)"])
                case .message(let message):
                    if message.topic == discovery.homeAssistantStatusTopic {
                        if message.text == "online" {
                            environment.counters.add("mqtt.homeassistant_online")
                            announce()
                        }
                    } else if message.topic == discovery.acknowledgeTopic {
                        await acknowledge(message)
                    } else if let sensorId = SensorFrameGate.sensorId(topic: message.topic, prefix: discovery.topicPrefix) {
                        sensorFrames.take(message, sensorId: sensorId)
                    }
                }
            }
        }
    }

    func subscribe(_ discovery: HomeAssistantDiscovery) async {
        for filter in [
            discovery.homeAssistantStatusTopic, discovery.acknowledgeTopic, SensorFrameGate.frameFilter(prefix: discovery.topicPrefix),
        ] {
            do {
                try await client.subscribe(filter)
            } catch {
                environment.logger.warning("MQTT subscribe failed", metadata: ["filter": "\(filter)", "error": "\(error)"])
            }
        }
    }

    /// Availability, every config and every state.
    func announce() {
        let discovery = self.discovery
        enqueue([MQTTOut(topic: discovery.availabilityTopic, text: "online", retain: true)] + bridge.withLock { $0.everything() })
    }

    /// The button: acknowledges the open fall alarm, recorded `by: home-assistant`.
    func acknowledge(_ message: MQTTMessage) async {
        guard message.text == "PRESS" else {
            environment.counters.add("rejected.acknowledge_command")
            environment.logger.notice("acknowledge command ignored: the payload must be PRESS", metadata: ["payload": "\(message.text.prefix(40))"])
            return
        }
        guard let alertId = bridge.withLock({ $0.openFalls.last }) else {
            environment.counters.add("acknowledge.nothing_open")
            return
        }
        let ack = Acknowledgement(alertId: alertId, by: "home-assistant", at: Date().timeIntervalSince1970, via: "mqtt")
        do {
            try await sender.send(ack, topic: Topic.acknowledgement, person: discovery.person)
            environment.counters.add("acknowledgements.sent")
            enqueue(bridge.withLock { $0.take(ack) })
        } catch {
            environment.logger.error("acknowledgement not saved", metadata: ["error": "\(error)"])
        }
    }

    func handle(_ message: BusMessage) {
        let counters = environment.counters
        let now = Date().timeIntervalSince1970
        switch message.header.type {
        case EpisodeEvent.messageType:
            guard let envelope = try? message.decode(EpisodeEvent.self) else {
                counters.add("rejected.episode")
                return
            }
            enqueue(bridge.withLock { $0.take(envelope.body, person: envelope.header.person, now: now) })
        case Alert.messageType:
            guard let envelope = try? message.decode(Alert.self) else {
                counters.add("rejected.alert")
                return
            }
            enqueue(bridge.withLock { $0.take(envelope.body, person: envelope.header.person) })
        case Acknowledgement.messageType:
            guard let envelope = try? message.decode(Acknowledgement.self) else {
                counters.add("rejected.acknowledgement")
                return
            }
            enqueue(bridge.withLock { $0.take(envelope.body) })
        case DiaryEntry.messageType:
            guard let envelope = try? message.decode(DiaryEntry.self) else {
                counters.add("rejected.diary")
                return
            }
            enqueue(bridge.withLock { $0.take(envelope.body, person: envelope.header.person) })
        case Heartbeat.messageType:
            guard let envelope = try? message.decode(Heartbeat.self), envelope.body.service == ServiceName.sensor, let sensors = envelope.body.sensors
            else { return }
            let silentAfter = environment.configuration.sensor.silentAfterSeconds
            enqueue(bridge.withLock { $0.take(sensors: sensors, now: now, silentAfter: silentAfter) })
        default:
            break
        }
    }
}

extension MQTTService {
    /// The bridge, its reliable sender (acknowledgements from the button) and the heartbeat.
    static func build(environment: ServiceEnvironment) async throws -> [any Service] {
        let settings = environment.configuration.mqtt
        guard !settings.url.isEmpty else {
            throw SpasmError(
                .configuration,
                "mqtt.url is not set: spasmwatch-mqtt needs a broker, e.g. --set mqtt.url=mqtt://localhost:1883 (docs/home-assistant.md)")
        }
        let discovery = HomeAssistantDiscovery(
            person: environment.configuration.person, discoveryPrefix: settings.discoveryPrefix, topicPrefix: settings.topicPrefix)
        var client = try MQTTClientSettings(url: settings.url, caFile: settings.caFile.isEmpty ? nil : settings.caFile)
        client.clientId = "spasmwatch-mqtt-\(HomeAssistantDiscovery.slug(environment.configuration.person))"
        client.will = MQTTMessage(topic: discovery.availabilityTopic, text: "offline", qos: 1, retain: true)
        let mqtt = try await MQTTClient(settings: client)
        let receipts = try environment.subscribe([Topic.stored(environment.instance)])
        let inbox = try environment.subscribe([
            Topic.episodePrefix, Topic.alertPrefix, Topic.acknowledgement, Topic.manualEntry, Topic.heartbeat(ServiceName.sensor),
        ])
        let outbox = try Outbox.open(url: environment.home.outbox(for: environment.instance))
        let sender = ReliableSender(
            outbox: outbox, publisher: environment.publisher, receipts: receipts, counters: environment.counters, logger: environment.logger)
        var bridge = HomeAssistantBridge(discovery: discovery, clock: HomeClock(configuration: environment.configuration))
        let journal = FiringJournal(url: environment.home.dataDirectory.appendingPathComponent("mqtt-fired.json"))
        let (earlier, problem) = journal.load()
        if let problem { environment.logger.warning("record of fired events", metadata: ["problem": "\(problem)"]) }
        let now = Date().timeIntervalSince1970
        let fired = earlier ?? FiredEpisodes(firedThrough: now)
        bridge.remember(fired: fired)
        // The first start: from now on a restart knows what was fired.
        if earlier == nil { try journal.save(fired) }
        let service = MQTTService(
            environment: environment, client: mqtt, inbox: inbox, sender: sender, bridge: bridge, journal: journal,
            catchUpFrom: FiringJournal.catchUpFrom(earlier, now: now),
            producerSecurity: environment.endpoints.usesCurve
                ? try BusSecurity.load(home: environment.home, key: ServiceName.keyName(ServiceName.mqtt)) : nil)
        let display = client.display
        let heartbeat = environment.heartbeat {
            (["broker": display, "connected": mqtt.isConnected ? "yes" : "no", "discoveryPrefix": settings.discoveryPrefix], nil)
        }
        return [heartbeat, sender, service]
    }
}
