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
    /// Detected spasms (not falls, not test sensors) since the home's local midnight, by id:
    /// a spasm the store reported after a restart and then heard live counts once.
    var countedToday: Set<UUID> = []
    var spasmsToday: Int { countedToday.count }
    var countedDay: Int?
    /// Episodes whose event was fired (or is on its way), newest last; bounded. An episode is
    /// fired once, whether it came live or from the store after a restart.
    public private(set) var fired = FiredEpisodes()
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
        countedToday = []
        return changed ? [MQTTOut(topic: discovery.spasmsTodayTopic, text: "0", retain: true)] : []
    }

    /// An episode's onset fires its event (spasm or fall) and counts a spasm; test sensors' are left out.
    public mutating func take(_ episode: EpisodeEvent, person: String, now: Double) -> [MQTTOut] {
        guard person == discovery.person, episode.phase == .onset, episode.test != true else { return [] }
        return fire(
            episodeId: episode.episodeId, kind: episode.kind, sensorId: episode.sensorId, site: episode.site, start: episode.start,
            detectedAt: episode.detectedAt, confidence: episode.confidence, late: false, now: now)
    }

    mutating func fire(
        episodeId: UUID, kind: EpisodeKind, sensorId: String, site: BodySite?, start: Double, detectedAt: Double, confidence: Double,
        late: Bool, now: Double
    ) -> [MQTTOut] {
        var out = rollDay(now: now)
        guard !fired.contains(episodeId) else { return out }
        fired.add(episodeId)
        var fields: [String: JSONValue] = [
            "event_type": .string(kind.rawValue), "episode_id": .string(episodeId.uuidString.lowercased()),
            "sensor_id": .string(sensorId), "at": .number(start), "confidence": .number(confidence),
        ]
        if let site { fields["site"] = .string(site.rawValue) }
        // Fired after a restart of this service, for an episode detected while it was down.
        if late { fields["late"] = .bool(true) }
        let firing = FiredEpisodes.Firing(episodeId: episodeId, detectedAt: detectedAt)
        if kind == .fall {
            out.append(MQTTOut(topic: discovery.fallEventTopic, payload: JSONValue.encode(fields), retain: false, firing: firing))
        } else {
            // Live, it happened now; fired late, it counts on the day it was detected.
            if !late || isToday(detectedAt, now: now) { countedToday.insert(episodeId) }
            out.append(MQTTOut(topic: discovery.spasmEventTopic, payload: JSONValue.encode(fields), retain: false, firing: firing))
            out.append(MQTTOut(topic: discovery.spasmsTodayTopic, text: "\(spasmsToday)", retain: true))
        }
        return out
    }

    func isToday(_ time: Double, now: Double) -> Bool {
        clock.calendar.isDate(Date(timeIntervalSince1970: time), inSameDayAs: Date(timeIntervalSince1970: now))
    }

    /// What the store kept from before a restart: today's spasms are counted again (test
    /// sensors' left out), and each episode detected after `catchUpFrom` whose event was not
    /// fired yet (it came while this service was down) is fired now, marked `late`. Without
    /// `catchUpFrom` (the first start: nothing was fired before) nothing is fired.
    public mutating func recover(episodes stored: [StoredEpisode], catchUpFrom: Double?, now: Double) -> [MQTTOut] {
        var out = rollDay(now: now)
        let before = spasmsToday
        for episode in stored.sorted(by: { $0.detectedAt < $1.detectedAt }) where episode.person == discovery.person && episode.test != true {
            if let catchUpFrom, episode.detectedAt > catchUpFrom, !fired.contains(episode.episodeId) {
                out += fire(
                    episodeId: episode.episodeId, kind: episode.kind, sensorId: episode.sensorId, site: episode.site, start: episode.start,
                    detectedAt: episode.detectedAt, confidence: episode.confidence, late: true, now: now)
            } else if episode.kind != .fall, isToday(episode.detectedAt, now: now) {
                countedToday.insert(episode.episodeId)
            }
        }
        if spasmsToday != before { out.append(MQTTOut(topic: discovery.spasmsTodayTopic, text: "\(spasmsToday)", retain: true)) }
        return out
    }

    /// The episodes fired before a restart (`FiringJournal`): never fired twice.
    public mutating func remember(fired earlier: FiredEpisodes) { fired = earlier }

    /// The home's local midnight before `time`.
    public func startOfDay(_ time: Double) -> Double {
        clock.calendar.startOfDay(for: Date(timeIntervalSince1970: time)).timeIntervalSince1970
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
    /// An event firing: the episode, journaled once the broker has it.
    public var firing: FiredEpisodes.Firing?

    public init(topic: String, payload: Data, retain: Bool, firing: FiredEpisodes.Firing? = nil) {
        self.topic = topic
        self.payload = payload
        self.retain = retain
        self.firing = firing
    }

    public init(topic: String, text: String, retain: Bool) { self.init(topic: topic, payload: Data(text.utf8), retain: retain) }
}
