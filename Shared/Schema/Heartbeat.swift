import Foundation

/// Published every second on `heartbeat.<service>` by every service.
public struct Heartbeat: MessageBody {
    public static let messageType = "heartbeat"

    /// Service name, e.g. "spasmwatch-store".
    public var service: String
    /// This running instance (the envelope's source), e.g. "store" or "detect-1".
    public var instance: String
    public var pid: Int32
    public var version: String
    public var uptimeSeconds: Double
    /// Named counters: accepted, rejected by reason, gaps, dropped, ...
    public var counters: [String: Int64]
    /// Short facts a status table shows (database size, baseline learning, ...).
    public var info: [String: String]
    /// Sensors this service has seen (sensor ingestion fills it in): at most
    /// `SensorStatus.heartbeatLimit`, worn sensors first; `info["sensors"]` says how many more.
    public var sensors: [SensorStatus]?

    public init(
        service: String, instance: String, pid: Int32, version: String, uptimeSeconds: Double,
        counters: [String: Int64] = [:], info: [String: String] = [:], sensors: [SensorStatus]? = nil
    ) {
        self.service = service
        self.instance = instance
        self.pid = pid
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.counters = counters
        self.info = info
        self.sensors = sensors
    }
}

/// One sensor's health as sensor ingestion sees it.
public struct SensorStatus: Codable, Sendable, Equatable {
    public var sensorId: String
    public var kind: SensorKind
    public var placement: BodySite
    public var sampleRate: Double
    /// Unix time of the last accepted frame.
    public var lastFrameTime: Double
    public var framesAccepted: Int64
    public var framesRejected: Int64
    /// Samples missing from time gaps between frames.
    public var samplesLost: Int64
    /// Largest deviation of a frame's start from where it was expected, in ms.
    public var maxJitterMs: Double
    /// Whose sensor it is (the home's person unless configured otherwise).
    public var person: String?
    /// Worn: it has sent for `sensor.wornAfterSeconds`, or is named in `sensor.worn`. Only a
    /// worn sensor that is not a test sensor raises a sensor-silent alert.
    public var worn: Bool?
    /// Its last frame said `"test": true` (a replay, a simulation, an example).
    public var test: Bool?
    /// Unix time of its first frame since it was last silent (what "worn" is counted from).
    public var sendingSince: Double?
    /// Times its clock jumped (back, or forward by more than the time that passed) and the
    /// stream was re-anchored on the new clock; the last jump in seconds (+ ahead, − back).
    public var clockJumps: Int64?
    public var lastClockJumpSeconds: Double?
    /// What the device is (phone, watch, strap, other), from its frames' `device`.
    public var device: DeviceKind?
    /// Its battery in percent, from its last frame that said (`battery`), and when that was.
    public var battery: Double?
    public var batteryAt: Double?
    /// The name a person gave it (`spasmwatch sensors rename`).
    public var name: String?
    /// The body site the device itself sends, when a person moved it elsewhere
    /// (`spasmwatch sensors move`; `placement` is then the person's choice).
    public var sentPlacement: BodySite?

    /// The most sensors one heartbeat lists (worn ones first), so a heartbeat stays small.
    public static let heartbeatLimit = 64

    public init(
        sensorId: String, kind: SensorKind, placement: BodySite, sampleRate: Double, lastFrameTime: Double,
        framesAccepted: Int64, framesRejected: Int64, samplesLost: Int64, maxJitterMs: Double,
        person: String? = nil, worn: Bool? = nil, test: Bool? = nil, sendingSince: Double? = nil,
        clockJumps: Int64? = nil, lastClockJumpSeconds: Double? = nil
    ) {
        self.sensorId = sensorId
        self.kind = kind
        self.placement = placement
        self.sampleRate = sampleRate
        self.lastFrameTime = lastFrameTime
        self.framesAccepted = framesAccepted
        self.framesRejected = framesRejected
        self.samplesLost = samplesLost
        self.maxJitterMs = maxJitterMs
        self.person = person
        self.worn = worn
        self.test = test
        self.sendingSince = sendingSince
        self.clockJumps = clockJumps
        self.lastClockJumpSeconds = lastClockJumpSeconds
    }

    /// Raises a sensor-silent alert when it stops: worn, and not a test sensor.
    public var watched: Bool { worn == true && test != true }
}

/// Storage's receipt, on `stored.<source>`: the listed message ids from that source are
/// committed to disk. A sender's outbox stops re-sending them.
public struct StoredReceipt: MessageBody {
    public static let messageType = "stored"
    /// The sender whose messages were stored.
    public var forSource: String
    public var ids: [UUID]

    public init(forSource: String, ids: [UUID]) {
        self.forSource = forSource
        self.ids = ids
    }
}

/// Storage's answer for messages it will never keep, on `stored.<source>` too: their body
/// broke the sender's rules (or could not be read). The sender takes them out of its
/// re-send queue and keeps them, with the reason, in its outbox's `refused` table.
public struct RefusedReceipt: MessageBody {
    public static let messageType = "refused"
    public struct Refusal: Codable, Sendable, Equatable {
        public var id: UUID
        /// The message's type, e.g. `manual.entry`.
        public var type: String
        /// Storage's sentence, e.g. "spasm.severity: severity 9 is outside 1–3".
        public var reason: String

        public init(id: UUID, type: String, reason: String) {
            self.id = id
            self.type = type
            self.reason = reason
        }
    }
    /// The sender whose messages were refused.
    public var forSource: String
    public var refused: [Refusal]

    public init(forSource: String, refused: [Refusal]) {
        self.forSource = forSource
        self.refused = refused
    }
}
