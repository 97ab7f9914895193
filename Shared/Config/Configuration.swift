import Foundation
import SpasmSchema

/// Every setting SpasmWatch has, each with a default, so every executable starts with no
/// config file. Sources, later ones winning: defaults, the JSON file
/// (`$SPASMWATCH_CONFIG`, else `<home>/config.json`), environment variables
/// (`SPASMWATCH_BUS_HIGH_WATER_MARK=50000` for `bus.highWaterMark`), then `--set bus.highWaterMark=50000`.
public struct Configuration: Codable, Sendable, Equatable {
    /// Whose data a single-person home records.
    public var person: String = Person.defaultId
    /// The person's name as the report shows it ("" = none: the report names no one).
    public var personName: String = ""
    /// IANA time zone for day boundaries, quiet hours and reports; empty = the system's.
    public var timeZone: TimeZoneSetting = .system
    /// Services `spasmwatch status` expects to see alive.
    public var expectedServices: [String] = ServiceName.all
    public var bus = BusSettings()
    public var sensor = SensorSettings()
    public var manual = ManualSettings()
    public var detect = DetectSettings()
    public var store = StoreSettings()
    public var metrics = MetricsSettings()
    public var notify = NotifySettings()
    public var mqtt = MQTTSettings()

    public init() {}

    /// The services that should be running: `expectedServices`, and spasmwatch-mqtt while
    /// `mqtt.url` turns it on. What `spasmwatch status`, notify's watchdog (service-down) and
    /// the metrics exporter (`spasmwatch_service_up`) look for.
    public var servicesExpected: [String] {
        mqtt.url.isEmpty || expectedServices.contains(ServiceName.mqtt) ? expectedServices : expectedServices + [ServiceName.mqtt]
    }
}

/// Home Assistant over MQTT (spasmwatch-mqtt, docs/home-assistant.md): off while `url` is empty.
public struct MQTTSettings: Codable, Sendable, Equatable {
    /// The broker: `mqtt://[user:password@]host[:port]` or `mqtts://…` (TLS); "" = spasmwatch-mqtt is not started.
    public var url: String = ""
    /// mqtts only: a PEM file of the CA that signed the broker's certificate; "" = the system's CAs.
    public var caFile: String = ""
    /// Home Assistant's discovery prefix (its MQTT integration's setting).
    public var discoveryPrefix: String = "homeassistant"
    /// The first part of SpasmWatch's own state topics (`spasmwatch/<person>/...`).
    public var topicPrefix: String = "spasmwatch"
    public init() {}
}

/// The broker and every connection to it.
public struct BusSettings: Codable, Sendable, Equatable {
    /// "ipc" (a private run directory, the default) or "tcp" (CURVE-secured).
    public var transport: Transport = .ipc
    /// tcp only: the address the bus binds and clients connect to.
    public var tcpHost: String = "127.0.0.1"
    public var tcpPublishPort: Int = 5560
    public var tcpSubscribePort: Int = 5561
    /// Queue limit per connection, in messages (libzmq's default of 1000 drops silently at bursts).
    public var highWaterMark: Int = 200_000
    /// Largest message accepted from a peer, bytes.
    public var maxMessageBytes: Int = 4 << 20
    /// Let the home's group use the sockets (run directory 0770 instead of 0700): the
    /// systemd install sets it so the owner's CLI can reach services running as `spasmwatch`.
    public var groupAccess: Bool = false
    /// Heartbeat interval, seconds.
    public var heartbeatSeconds: Double = 1
    /// The folder for the ipc sockets; empty = `<home>/run`, or a private folder under /tmp
    /// when the home's path is too long for a socket path (recorded in `<home>/run.path`).
    /// The systemd install sets `/run/spasmwatch`.
    public var runDirectory: String = ""
    public init() {}
}

/// Sensor ingestion (spasmwatch-sensor).
public struct SensorSettings: Codable, Sendable, Equatable {
    /// tcp port of the producer endpoint when the bus transport is tcp.
    public var producerTcpPort: Int = 5570
    public var httpHost: String = "127.0.0.1"
    public var httpPort: Int = 8470
    /// Required as `Authorization: Bearer …` when httpHost is not loopback.
    public var httpToken: String = ""
    /// Extra names a request's `Host` may carry, beyond localhost, this machine's addresses
    /// and hostname (e.g. ["sensors.example.net"]); any other name is refused (DNS rebinding).
    public var allowedHosts: [String] = []
    /// Connections open at once beyond which a new one is closed at once.
    public var httpMaxConnections: Int = 256
    /// A new connection must send its request headers within this, and a request's body
    /// must be complete this long after its headers (seconds, 1–3600).
    public var httpRequestSeconds: Double = 10
    /// A keep-alive connection idle this long is closed (seconds, 1–3600).
    public var httpIdleSeconds: Double = 30
    /// Largest frame accepted, bytes (checked in code, so the sender still gets an error reply).
    public var maxFrameBytes: Int = 256 << 10
    /// Frames per second one producer may send before being told to slow down (a wearable
    /// sends 4–40; this is a backstop against a runaway producer).
    public var maxFramesPerSecondPerProducer: Double = 10_000
    /// A worn sensor silent this long is reported (seconds).
    public var silentAfterSeconds: Double = 30
    /// A sensor counts as worn once it has sent this long without falling silent (seconds);
    /// only worn sensors raise a sensor-silent alert, so a quick test never does.
    public var wornAfterSeconds: Double = 300
    /// Sensors worn from their first frame (ids), e.g. ["wrist-left", "ankle-right"].
    public var worn: [String] = []
    /// A sensor unseen this long is forgotten (seconds; a day).
    public var expireAfterSeconds: Double = 86_400
    /// New sensors are refused past these caps (`spasmwatch sensors forget ID` makes room).
    public var maxSensorsPerProducer: Int = 64
    public var maxSensors: Int = 1024
    public init() {}
}

/// Manual ingestion: the diary (spasmwatch-manual).
public struct ManualSettings: Codable, Sendable, Equatable {
    public var httpHost: String = "127.0.0.1"
    public var httpPort: Int = 8471
    /// Required for the phone page and API when httpHost is not loopback.
    public var httpToken: String = ""
    /// The address other phones use to reach this diary, e.g. `https://hub.local:8471`:
    /// alerts' "I'm OK" and "I need help" links start with it. Empty = `https://NAME.local:PORT`
    /// when httpHost is beyond loopback (HTTPS, docs/https.md), else no links (the
    /// heartbeats say so). See Shared/Config/PublicURL.swift.
    public var publicURL: String = ""
    /// Extra names a request's `Host` may carry, beyond localhost, this machine's addresses,
    /// its hostname (and NAME.local) and publicURL's host; any other name is refused.
    public var allowedHosts: [String] = []
    /// Connections open at once beyond which a new one is closed at once (slow clients
    /// cannot pile up; see docs/architecture.md, "From the browser and the network").
    public var httpMaxConnections: Int = 256
    /// A new connection must send its request headers within this, and a request's body
    /// must be complete this long after its headers (seconds, 1–3600).
    public var httpRequestSeconds: Double = 10
    /// A keep-alive connection idle this long is closed (seconds, 1–3600).
    public var httpIdleSeconds: Double = 30
    /// "Wear this phone" (`/wear` and its WebSocket on the diary's server). docs/devices.md.
    public var wearThisPhone: Bool = true
    public init() {}
}

/// Detection (spasmwatch-detect).
public struct DetectSettings: Codable, Sendable, Equatable {
    /// How many detector instances deploy/stack starts; sensors are split between them by hash.
    public var instances: Int = 1
    /// A tonic spasm longer than this raises a warning alert (seconds).
    public var tonicAlertSeconds: Double = 60
    /// Kinds whose every episode raises an alert, with severity.
    public var alertOnFall: String = "critical"
    public var alertOnPhasic: String = "info"
    public var alertOnClonus: String = "info"
    public init() {}
}

/// Storage (spasmwatch-store).
public struct StoreSettings: Codable, Sendable, Equatable {
    public var rawRetentionDays: Double = 7
    public var diskBudgetBytes: Int64 = 5_000_000_000
    public var backupKeepDays: Int = 7
    /// Group commit: at most this long between commits (ms) or this many messages.
    public var commitIntervalMs: Int = 50
    public var commitBatch: Int = 1000
    public init() {}
}

/// Notification (spasmwatch-notify).
public struct NotifySettings: Codable, Sendable, Equatable {
    /// Path of the rules file (JSON); empty = `<home>/notify.json`, else console and a
    /// JSON-lines file (`logs/notifications.jsonl`) to the person.
    public var rulesFile: String = ""
    /// The first alert of a group waits this long for others of the same group (seconds);
    /// critical alerts never wait.
    public var groupWaitSeconds: Double = 60
    /// After a group was notified, more of the same are sent together at most this often (seconds).
    public var repeatIntervalSeconds: Double = 600
    /// A critical alert nobody acknowledged goes to the next receiver after this long (seconds).
    public var escalateAfterSeconds: Double = 120
    /// Quiet hours, local "HH:MM" (both empty = none): only critical alerts pass; the rest
    /// wait until the quiet hours end.
    public var quietHoursStart: String = ""
    public var quietHoursEnd: String = ""
    /// Webhooks: per-request timeout, attempts in all, first back-off (doubles each retry).
    public var webhookTimeoutSeconds: Double = 5
    public var webhookMaxAttempts: Int = 5
    public var webhookBackoffSeconds: Double = 1
    /// Commands: killed after this long (seconds).
    public var commandTimeoutSeconds: Double = 10
    /// A service whose heartbeat is missing this long raises a service-down alert (seconds).
    public var serviceSilentAfterSeconds: Double = 10
    /// On start, undelivered alerts this recent are resumed (seconds).
    public var resumeWindowSeconds: Double = 86_400
    public init() {}
}

/// The executables' names, fixed: users and scripts call them.
public enum ServiceName {
    public static let bus = "spasmwatch-bus"
    public static let sensor = "spasmwatch-sensor"
    public static let manual = "spasmwatch-manual"
    public static let detect = "spasmwatch-detect"
    public static let store = "spasmwatch-store"
    public static let notify = "spasmwatch-notify"
    public static let metrics = "spasmwatch-metrics"
    public static let all = [bus, sensor, manual, detect, store, notify, metrics]
    /// Started only when `mqtt.url` is set, so not in `all` (the services expected by default).
    public static let mqtt = "spasmwatch-mqtt"

    /// The name of a service's own CURVE key on tcp: its name without "spasmwatch-".
    public static func keyName(_ service: String) -> String {
        service.hasPrefix("spasmwatch-") ? String(service.dropFirst("spasmwatch-".count)) : service
    }
}
