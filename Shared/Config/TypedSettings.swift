import Foundation
import SpasmErrors

/// The home's time zone (`timeZone`): an IANA name, or empty for the system's. Read and
/// checked once, when the configuration loads, so every service uses the same `zone` and a
/// wrong name stops every service with the same sentence.
public struct TimeZoneSetting: Codable, Sendable, Equatable, CustomStringConvertible {
    /// As written ("" = the system's zone).
    public let name: String
    public let zone: TimeZone

    /// The system's zone.
    public static var system: TimeZoneSetting { TimeZoneSetting(zone: .current, name: "") }

    public init(_ name: String) throws(SpasmError) {
        if name.isEmpty {
            self = .system
        } else if let zone = TimeZone(identifier: name) {
            self.init(zone: zone, name: name)
        } else {
            throw SpasmError(.configuration, "timeZone '\(name)' is not an IANA time zone name (e.g. Europe/Berlin, America/New_York)")
        }
    }

    public init(zone: TimeZone) { self.init(zone: zone, name: zone.identifier) }

    init(zone: TimeZone, name: String) {
        self.zone = zone
        self.name = name
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        do {
            try self.init(name)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    public var description: String { zone.identifier }
}

/// `bus.transport`: Unix sockets on this machine, or tcp with CURVE keys (docs/security.md).
public enum Transport: String, Codable, Sendable, CaseIterable {
    case ipc, tcp

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Transport(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription:
                    "bus.transport '\(text)' is not a transport; allowed are \(Transport.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }
}

/// Checks that need more than one setting, run once when the configuration loads.
enum SettingsCheck {
    static func check(_ configuration: Configuration) throws(SpasmError) {
        try HTTPLimitSettings.check(configuration)
        // An HTTP server beyond loopback without a token would be open to the network.
        let manual = configuration.manual
        if !Endpoints.isLoopback(manual.httpHost) && manual.httpToken.isEmpty {
            throw SpasmError(
                .configuration,
                "manual.httpToken must be set when manual.httpHost is '\(manual.httpHost)' (not loopback): the diary would be open to the network. "
                    + "Set one, e.g. --set manual.httpToken=$(openssl rand -hex 16), and open the page once as https://HOST:\(manual.httpPort)/?token=TOKEN"
            )
        }
        let sensor = configuration.sensor
        if !Endpoints.isLoopback(sensor.httpHost) && sensor.httpToken.isEmpty {
            throw SpasmError(
                .configuration,
                "sensor.httpHost \(sensor.httpHost) is beyond localhost: set sensor.httpToken too (producers then send 'Authorization: Bearer TOKEN')"
            )
        }
        let mqtt = configuration.mqtt
        if !mqtt.url.isEmpty && !(mqtt.url.hasPrefix("mqtt://") || mqtt.url.hasPrefix("mqtts://")) {
            throw SpasmError(
                .configuration, "mqtt.url must start with mqtt:// (plain) or mqtts:// (TLS), e.g. mqtt://localhost:1883; \"\" turns MQTT off")
        }
        if !mqtt.caFile.isEmpty && !mqtt.url.hasPrefix("mqtts://") {
            throw SpasmError(.configuration, "mqtt.caFile is set but mqtt.url is not mqtts://: the CA file only checks a TLS broker")
        }
        for (key, value) in [("mqtt.discoveryPrefix", mqtt.discoveryPrefix), ("mqtt.topicPrefix", mqtt.topicPrefix)]
        where value.isEmpty || value.contains(where: { $0 == "#" || $0 == "+" || $0 == " " }) || value.hasPrefix("/") || value.hasSuffix("/") {
            throw SpasmError(.configuration, "\(key) '\(value)' is not a topic prefix: use letters, digits and inner '/', no '#', '+' or spaces")
        }
        let metrics = configuration.metrics
        if !Endpoints.isLoopback(metrics.httpHost) && metrics.httpToken.isEmpty {
            throw SpasmError(
                .configuration,
                "metrics.httpToken must be set when metrics.httpHost is '\(metrics.httpHost)' (not loopback): metrics are health data. "
                    + "Set one, e.g. --set metrics.httpToken=$(openssl rand -hex 16), and give Prometheus the same as its bearer token"
            )
        }
    }
}
