import Foundation
import SpasmErrors

/// Where and how to reach an MQTT broker: read from a URL such as
/// `mqtt://user:password@localhost:1883` or `mqtts://broker.home:8883` (TLS), plus the parts
/// a URL cannot carry (the CA file, the last will, the client id).
public struct MQTTClientSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    /// TLS on (`mqtts://`): the broker's certificate is checked against `caFile`, or the
    /// system's CA certificates when nil.
    public var tls: Bool
    /// A PEM file of CA certificates the broker's certificate must chain to.
    public var caFile: String?
    public var clientId: String
    /// Seconds between PINGREQs when idle; the broker fires the last will after 1.5× this.
    public var keepAlive: Int
    /// Published by the broker when this client vanishes without a clean DISCONNECT.
    public var will: MQTTMessage?
    /// Reconnect backoff: the first wait and the longest, in seconds (doubling between).
    public var reconnectMin: Double
    public var reconnectMax: Double

    public init(
        host: String, port: Int = 1883, username: String? = nil, password: String? = nil, tls: Bool = false, caFile: String? = nil,
        clientId: String = "spasmwatch-\(UUID().uuidString.prefix(8).lowercased())", keepAlive: Int = 30, will: MQTTMessage? = nil,
        reconnectMin: Double = 1, reconnectMax: Double = 60
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.tls = tls
        self.caFile = caFile
        self.clientId = clientId
        self.keepAlive = keepAlive
        self.will = will
        self.reconnectMin = reconnectMin
        self.reconnectMax = reconnectMax
    }

    /// Reads `mqtt://[user[:password]@]host[:port]` or `mqtts://…` (port defaults 1883 and
    /// 8883). User name and password are percent-decoded.
    public init(url text: String, caFile: String? = nil) throws(SpasmError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .mqttSetting("mqtt.url \"\(Self.redacted(text))\" is not a URL: write mqtt://host:1883 or mqtts://host:8883.", detail: "mqtt.url")
        }
        guard scheme == "mqtt" || scheme == "mqtts" else {
            throw .mqttSetting(
                "mqtt.url's scheme \"\(scheme)\" is not allowed: use mqtt:// (plain, loopback or a trusted LAN) or mqtts:// (TLS).",
                detail: "mqtt.url")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .mqttSetting("mqtt.url \"\(Self.redacted(text))\" names no host: write mqtt://host:1883.", detail: "mqtt.url")
        }
        if let path = components.path.nilIfEmpty, path != "/" {
            throw .mqttSetting("mqtt.url has a path \"\(path)\": a broker URL is only mqtt[s]://[user:password@]host[:port].", detail: "mqtt.url")
        }
        let tls = scheme == "mqtts"
        let port = components.port ?? (tls ? 8883 : 1883)
        guard (1...65535).contains(port) else {
            throw .mqttSetting("mqtt.url's port \(port) is out of range: use 1 to 65535.", detail: "mqtt.url")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw .mqttSetting("The MQTT CA file \(caFile) cannot be read: give a PEM file of the broker's CA certificate.", detail: "mqtt.ca_file")
        }
        if caFile != nil && !tls {
            throw .mqttSetting(
                "A CA file is set but mqtt.url is plain mqtt://: use mqtts:// to check the broker's certificate.", detail: "mqtt.ca_file")
        }
        self.init(
            host: host, port: port, username: components.percentEncodedUser?.removingPercentEncoding?.nilIfEmpty,
            password: components.percentEncodedPassword?.removingPercentEncoding, tls: tls, caFile: caFile)
    }

    /// The URL without its password, for logs and error sentences.
    public var display: String { "\(tls ? "mqtts" : "mqtt")://\(username.map { "\($0)@" } ?? "")\(host):\(port)" }

    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
