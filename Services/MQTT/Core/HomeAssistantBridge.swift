import Foundation
import SpasmConfig
import SpasmSchema
import SpasmVocabulary

/// Turns what happens on the bus into the MQTT messages Home Assistant reads: event firings,
/// the retained states, and the configs of worn devices as they appear or are forgotten.
/// Pure and synchronous (the service calls it from one task); the clock comes in as `now`.
public struct HomeAssistantBridge: Sendable {
    public let discovery: HomeAssistantDiscovery
    let clock: HomeClock
    /// Detected spasms (not falls, not test sensors) since the home's local midnight.
    var spasmsToday = 0
    var countedDay: Int?
    var lastNRS: Int?
    var lastPSFS: Int?
    /// Open critical fall alerts nobody has acknowledged yet.
    public private(set) var openFalls: [UUID] = []
    /// Worn devices published (sensorId → whether a battery entity was published).
    var devices: [String: DeviceState] = [:]

    struct DeviceState: Equatable {
        var name: String
        var battery: Double?
        var online: Bool
    }

    public init(discovery: HomeAssistantDiscovery, clock: HomeClock) {
        self.discovery = discovery
        self.clock = clock
    }

    /// Every config and every known state, retained: on connect and when Home Assistant says `online`.
    public func everything() -> [MQTTOut] {
        var out = discovery.personEntities.map(config)
        for (id, device) in devices.sorted(by: { $0.key < $1.key }) {
            out += discovery.deviceEntities(sensorId: id, name: device.name, battery: device.battery != nil).map(config)
        }
        out += states()
        return out
    }

    func config(_ entity: HomeAssistantDiscovery.Entity) -> MQTTOut {
        MQTTOut(topic: discovery.configTopic(entity), payload: JSONValue.encode(entity.config), retain: true)
    }

    func states() -> [MQTTOut] {
        var out = [
            MQTTOut(topic: discovery.spasmsTodayTopic, text: "\(spasmsToday)", retain: true),
            MQTTOut(topic: discovery.alarmTopic, text: openFalls.isEmpty ? "OFF" : "ON", retain: true),
        ]
        if let lastNRS { out.append(MQTTOut(topic: discovery.lastNRSTopic, text: "\(lastNRS)", retain: true)) }
        if let lastPSFS { out.append(MQTTOut(topic: discovery.lastPSFSTopic, text: "\(lastPSFS)", retain: true)) }
        for (id, device) in devices.sorted(by: { $0.key < $1.key }) {
            out.append(MQTTOut(topic: discovery.deviceOnlineTopic(id), text: device.online ? "ON" : "OFF", retain: true))
            if let battery = device.battery {
                out.append(MQTTOut(topic: discovery.deviceBatteryTopic(id), text: "\(Int(battery.rounded()))", retain: true))
            }
        }
        return out
    }

    /// A new local day starts the count again.
    mutating func rollDay(now: Double) -> [MQTTOut] {
        let day = Int(clock.calendar.startOfDay(for: Date(timeIntervalSince1970: now)).timeIntervalSince1970)
        guard countedDay != day else { return [] }
        let changed = countedDay != nil && spasmsToday != 0
        countedDay = day
        spasmsToday = 0
        return changed ? [MQTTOut(topic: discovery.spasmsTodayTopic, text: "0", retain: true)] : []
    }

    /// An episode's onset fires its event (spasm or fall) and counts a spasm; test sensors' are left out.
    public mutating func take(_ episode: EpisodeEvent, person: String, now: Double) -> [MQTTOut] {
        guard person == discovery.person, episode.phase == .onset, episode.test != true else { return [] }
        var out = rollDay(now: now)
        var fields: [String: JSONValue] = [
            "event_type": .string(episode.kind.rawValue), "episode_id": .string(episode.episodeId.uuidString.lowercased()),
            "sensor_id": .string(episode.sensorId), "at": .number(episode.start), "confidence": .number(episode.confidence),
        ]
        if let site = episode.site { fields["site"] = .string(site.rawValue) }
        if episode.kind == .fall {
            out.append(MQTTOut(topic: discovery.fallEventTopic, payload: JSONValue.encode(fields), retain: false))
        } else {
            spasmsToday += 1
            out.append(MQTTOut(topic: discovery.spasmEventTopic, payload: JSONValue.encode(fields), retain: false))
            out.append(MQTTOut(topic: discovery.spasmsTodayTopic, text: "\(spasmsToday)", retain: true))
        }
        return out
    }

    /// A critical fall alert turns the alarm on until it is acknowledged.
    public mutating func take(_ alert: Alert, person: String) -> [MQTTOut] {
        guard person == discovery.person, alert.kind == EpisodeKind.fall.rawValue, alert.severity == .critical, alert.test != true,
            !openFalls.contains(alert.alertId)
        else { return [] }
        openFalls.append(alert.alertId)
        return [MQTTOut(topic: discovery.alarmTopic, text: "ON", retain: true)]
    }

    /// What the store kept from before a restart: each critical fall alert of this person
    /// that nobody has acknowledged turns the alarm on again (the retained state must not say
    /// OFF because this service restarted, nor miss a fall that came while it was down).
    public mutating func recover(_ stored: [StoredAlert]) -> [MQTTOut] {
        var out: [MQTTOut] = []
        for item in stored.sorted(by: { $0.alert.at < $1.alert.at }) where item.acknowledgements.isEmpty {
            out += take(item.alert, person: item.person)
        }
        return out
    }

    public mutating func take(_ acknowledgement: Acknowledgement) -> [MQTTOut] {
        guard let index = openFalls.firstIndex(of: acknowledgement.alertId) else { return [] }
        openFalls.remove(at: index)
        return openFalls.isEmpty ? [MQTTOut(topic: discovery.alarmTopic, text: "OFF", retain: true)] : []
    }

    /// A check-in sets the last NRS and PSFS.
    public mutating func take(_ entry: DiaryEntry, person: String) -> [MQTTOut] {
        guard person == discovery.person, let checkin = entry.checkin else { return [] }
        var out: [MQTTOut] = []
        lastNRS = checkin.nrs
        out.append(MQTTOut(topic: discovery.lastNRSTopic, text: "\(checkin.nrs)", retain: true))
        if let psfs = checkin.psfs {
            lastPSFS = psfs
            out.append(MQTTOut(topic: discovery.lastPSFSTopic, text: "\(psfs)", retain: true))
        }
        return out
    }

    /// Sensor ingestion's heartbeat lists the sensors: worn, non-test ones of this person are
    /// devices in Home Assistant (online while their frames are recent); one no longer worn
    /// is forgotten (an empty retained config removes it from Home Assistant).
    public mutating func take(sensors: [SensorStatus], now: Double, silentAfter: Double) -> [MQTTOut] {
        var out: [MQTTOut] = []
        var seen: Set<String> = []
        for sensor in sensors where sensor.watched && (sensor.person ?? discovery.person) == discovery.person {
            seen.insert(sensor.sensorId)
            let state = DeviceState(
                name: sensor.name ?? sensor.sensorId, battery: sensor.battery, online: now - sensor.lastFrameTime <= silentAfter)
            let before = devices[sensor.sensorId]
            guard before != state else { continue }
            devices[sensor.sensorId] = state
            if before == nil || before?.name != state.name || (before?.battery == nil) != (state.battery == nil) {
                out += discovery.deviceEntities(sensorId: sensor.sensorId, name: state.name, battery: state.battery != nil).map(config)
            }
            out.append(MQTTOut(topic: discovery.deviceOnlineTopic(sensor.sensorId), text: state.online ? "ON" : "OFF", retain: true))
            if let battery = state.battery {
                out.append(MQTTOut(topic: discovery.deviceBatteryTopic(sensor.sensorId), text: "\(Int(battery.rounded()))", retain: true))
            }
        }
        for (id, device) in devices where !seen.contains(id) {
            devices[id] = nil
            out += forget(sensorId: id, name: device.name)
        }
        return out
    }

    /// Empty retained configs (and states): Home Assistant removes the device's entities.
    func forget(sensorId: String, name: String) -> [MQTTOut] {
        discovery.deviceEntities(sensorId: sensorId, name: name, battery: true).map {
            MQTTOut(topic: discovery.configTopic($0), payload: Data(), retain: true)
        } + [
            MQTTOut(topic: discovery.deviceOnlineTopic(sensorId), payload: Data(), retain: true),
            MQTTOut(topic: discovery.deviceBatteryTopic(sensorId), payload: Data(), retain: true),
        ]
    }
}

/// One message for the broker (QoS 1 always: Home Assistant must see every firing).
public struct MQTTOut: Sendable, Equatable {
    public var topic: String
    public var payload: Data
    public var retain: Bool

    public init(topic: String, payload: Data, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.retain = retain
    }

    public init(topic: String, text: String, retain: Bool) { self.init(topic: topic, payload: Data(text.utf8), retain: retain) }
}
