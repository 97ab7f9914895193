import Foundation

/// Home Assistant MQTT discovery for one person: the retained configs under
/// `<discoveryPrefix>/<component>/spasmwatch_<person>_<object>/config` and the state topics
/// they point at (docs/home-assistant.md lists them). Pure: builds topics and payloads only.
public struct HomeAssistantDiscovery: Sendable {
    public let person: String
    public let discoveryPrefix: String
    public let topicPrefix: String
    public let version: String

    public init(person: String, discoveryPrefix: String = "homeassistant", topicPrefix: String = "spasmwatch", version: String = "") {
        self.person = person
        self.discoveryPrefix = discoveryPrefix
        self.topicPrefix = topicPrefix
        self.version = version
    }

    /// One entity: its component, object id and config payload.
    public struct Entity: Sendable, Equatable {
        public let component: String
        public let object: String
        public let config: [String: JSONValue]
    }

    /// Letters, digits, `_` and `-` only: what Home Assistant allows in a node or object id.
    public static func slug(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_" })
    }

    public var base: String { "\(topicPrefix)/\(Self.slug(person))" }
    /// `online` while the service runs; the broker publishes `offline` (the last will) when it vanishes.
    public var availabilityTopic: String { "\(base)/status" }
    public var spasmEventTopic: String { "\(base)/spasm/event" }
    public var fallEventTopic: String { "\(base)/fall/event" }
    public var spasmsTodayTopic: String { "\(base)/spasms_today/state" }
    public var lastNRSTopic: String { "\(base)/last_nrs/state" }
    public var lastPSFSTopic: String { "\(base)/last_psfs/state" }
    public var alarmTopic: String { "\(base)/alarm/state" }
    /// The button's command topic: only Home Assistant's broker user may write it (ACL).
    public var acknowledgeTopic: String { "\(base)/alarm/acknowledge" }
    public func deviceOnlineTopic(_ sensorId: String) -> String { "\(base)/device/\(Self.slug(sensorId))/online" }
    public func deviceBatteryTopic(_ sensorId: String) -> String { "\(base)/device/\(Self.slug(sensorId))/battery" }
    /// Home Assistant says `online` here when it (re)starts: every config is published again.
    public var homeAssistantStatusTopic: String { "\(discoveryPrefix)/status" }

    public func nodeId(_ object: String) -> String { "spasmwatch_\(Self.slug(person))_\(Self.slug(object))" }

    public func configTopic(_ entity: Entity) -> String { configTopic(component: entity.component, object: entity.object) }
    public func configTopic(component: String, object: String) -> String { "\(discoveryPrefix)/\(component)/\(nodeId(object))/config" }

    /// The device block: one Home Assistant device per person.
    var device: JSONValue {
        .object([
            "identifiers": .array([.string("spasmwatch_\(Self.slug(person))")]),
            "name": .string("SpasmWatch \(person)"), "manufacturer": .string("SpasmWatch"),
            "model": .string("spasmwatch-mqtt"), "sw_version": .string(version.isEmpty ? "dev" : version),
        ])
    }

    private func entity(_ component: String, _ object: String, name: String, _ extra: [String: JSONValue]) -> Entity {
        var config: [String: JSONValue] = [
            "name": .string(name), "unique_id": .string(nodeId(object)), "device": device,
            "availability_topic": .string(availabilityTopic), "payload_available": "online", "payload_not_available": "offline",
        ]
        for (k, v) in extra { config[k] = v }
        return Entity(component: component, object: object, config: config)
    }

    /// The person's entities (the worn devices' come from `deviceEntities`).
    public var personEntities: [Entity] {
        [
            entity(
                "event", "spasm", name: "Spasm detected",
                [
                    "state_topic": .string(spasmEventTopic), "event_types": .array(["phasic", "clonus", "tonic"]),
                    "icon": "mdi:human-handsdown",
                ]),
            entity(
                "event", "fall", name: "Fall", ["state_topic": .string(fallEventTopic), "event_types": .array(["fall"]), "icon": "mdi:human-fall"]),
            entity(
                "sensor", "spasms_today", name: "Spasms today",
                ["state_topic": .string(spasmsTodayTopic), "state_class": "total_increasing", "icon": "mdi:counter"]),
            entity(
                "sensor", "last_nrs", name: "Last NRS", ["state_topic": .string(lastNRSTopic), "state_class": "measurement", "icon": "mdi:gauge"]),
            entity(
                "sensor", "last_psfs", name: "Last PSFS", ["state_topic": .string(lastPSFSTopic), "state_class": "measurement", "icon": "mdi:gauge"]),
            entity(
                "binary_sensor", "alarm", name: "Alarm active",
                ["state_topic": .string(alarmTopic), "payload_on": "ON", "payload_off": "OFF", "device_class": "safety"]),
            entity(
                "button", "acknowledge", name: "Acknowledge alarm",
                ["command_topic": .string(acknowledgeTopic), "payload_press": "PRESS", "icon": "mdi:check-circle"]),
        ]
    }

    /// A worn device's online/offline sensor, and its battery when it reports one.
    public func deviceEntities(sensorId: String, name: String, battery: Bool) -> [Entity] {
        var list = [
            entity(
                "binary_sensor", "device_\(sensorId)_online", name: "\(name) online",
                [
                    "state_topic": .string(deviceOnlineTopic(sensorId)), "payload_on": "ON", "payload_off": "OFF",
                    "device_class": "connectivity",
                ])
        ]
        if battery {
            list.append(
                entity(
                    "sensor", "device_\(sensorId)_battery", name: "\(name) battery",
                    [
                        "state_topic": .string(deviceBatteryTopic(sensorId)), "device_class": "battery", "unit_of_measurement": "%",
                        "state_class": "measurement",
                    ]))
        }
        return list
    }
}

/// The few JSON shapes a discovery payload needs, encoded with sorted keys.
public enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(stringLiteral value: String) { self = .string(value) }

    var foundation: Any {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b
        case .array(let a): return a.map(\.foundation)
        case .object(let o): return o.mapValues(\.foundation)
        }
    }

    public static func encode(_ object: [String: JSONValue]) -> Data {
        (try? JSONSerialization.data(withJSONObject: JSONValue.object(object).foundation, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
