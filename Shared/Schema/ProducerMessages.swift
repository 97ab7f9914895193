import Foundation

/// What an external producer sends to sensor ingestion (ZeroMQ request or `POST /api/frames`):
/// this JSON object, then the samples — either in `samples` (a JSON array, channels
/// interleaved) or in a second frame of little-endian Float32 (ZeroMQ only; then
/// `sampleCount` is required). See docs/plug-in-a-sensor.md.
public struct ProducerFrame: Codable, Sendable, Equatable {
    /// Schema version, 1.
    public var v: Int
    public var sensorId: String
    /// "imu" (3 channels, g or m/s2) or "emg" (1 channel, mV or uV).
    public var kind: String
    /// A body site, e.g. "right-ankle".
    public var placement: String
    public var sampleRate: Double
    public var channels: Int?
    public var unit: String
    /// Unix time of the first sample; omitted by devices without a clock (arrival time is used).
    public var firstSampleTime: Double?
    /// Samples per channel; required with a binary frame.
    public var sampleCount: Int?
    /// The producer's name, shown in `sensor.registered`.
    public var producer: String?
    /// The producer's own frame counter, for its loss accounting.
    public var seq: UInt64?
    public var samples: [Double]?
    /// `true` marks a test sensor (replays, simulations, examples): it never raises a
    /// sensor-silent alert, and its episodes and alerts say "(test sensor)".
    public var test: Bool?
    /// What the device is: "phone", "watch", "strap" or "other" (optional; `spasmwatch sensors` shows it).
    public var device: String?
    /// The device's battery in percent, 0–100, where it reports one (optional).
    public var battery: Double?

    public init(
        v: Int = SchemaVersion.current, sensorId: String, kind: String, placement: String, sampleRate: Double,
        channels: Int? = nil, unit: String, firstSampleTime: Double? = nil, sampleCount: Int? = nil,
        producer: String? = nil, seq: UInt64? = nil, samples: [Double]? = nil, test: Bool? = nil,
        device: String? = nil, battery: Double? = nil
    ) {
        self.device = device
        self.battery = battery
        self.v = v
        self.sensorId = sensorId
        self.kind = kind
        self.placement = placement
        self.sampleRate = sampleRate
        self.channels = channels
        self.unit = unit
        self.firstSampleTime = firstSampleTime
        self.sampleCount = sampleCount
        self.producer = producer
        self.seq = seq
        self.samples = samples
        self.test = test
    }
}

/// Sensor ingestion's answer to every frame.
public struct ProducerReply: Codable, Sendable, Equatable {
    public var ok: Bool
    /// What is wrong and what is allowed, when `ok` is false.
    public var error: String?
    /// The field at fault, when there is one.
    public var field: String?
    /// A short machine-readable reason: json, version, field, range, unit, samples, nan,
    /// time, clock (ahead of the server clock), size, rate-limit, sensor-limit, auth,
    /// sensor-binding (on tcp, the sensor id is not bound to the producer's key), and
    /// unavailable (ingestion cannot reach the bus: nothing was accepted; send it again).
    public var reason: String?
    public var sensorId: String?
    /// Samples per channel accepted.
    public var accepted: Int?
    /// The frame's own `seq`, echoed, so a producer with several frames in flight can tell
    /// which frame a reply is for.
    public var seq: UInt64?

    /// The reason when ingestion cannot reach the bus.
    public static let unavailable = "unavailable"

    public init(
        ok: Bool, error: String? = nil, field: String? = nil, reason: String? = nil, sensorId: String? = nil,
        accepted: Int? = nil, seq: UInt64? = nil
    ) {
        self.seq = seq
        self.ok = ok
        self.error = error
        self.field = field
        self.reason = reason
        self.sensorId = sensorId
        self.accepted = accepted
    }
}
