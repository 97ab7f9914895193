import Foundation

/// What kind of device a sensor is, as a person would say it (`"device"` in a frame).
public enum DeviceKind: String, Codable, Sendable, CaseIterable {
    case phone, watch, strap, other
}

/// Units a producer may send; ingestion converts to g and mV before publishing.
public enum SampleUnit: String, Codable, Sendable, CaseIterable {
    case g
    case metersPerSecondSquared = "m/s2"
    case millivolts = "mV"
    case microvolts = "uV"
}

/// The JSON header of a sensor frame on the bus (`type` "sensor.frame", topic
/// `sensor.frame.<sensorId>`). The samples follow in the binary frame as little-endian
/// Float32, channels interleaved (ax ay az ax ay az …), already in g or mV.
public struct SensorFrame: MessageBody {
    public static let messageType = "sensor.frame"

    public var sensorId: String
    public var kind: SensorKind
    public var placement: BodySite
    /// Samples per second per channel.
    public var sampleRate: Double
    public var channels: Int
    /// Always "g" for imu and "mV" for emg on the bus.
    public var unit: SampleUnit
    /// Unix time of the first sample.
    public var firstSampleTime: Double
    /// Samples per channel in this frame.
    public var sampleCount: Int
    /// Producer's own frame counter when it sends one (for loss counting at the producer).
    public var producerSeq: UInt64?
    /// `true` for a test sensor (a replay, a simulation, the docs' examples): its episodes and
    /// alerts are marked as test, and it never raises a sensor-silent alert. Absent otherwise.
    public var test: Bool?

    public init(
        sensorId: String, kind: SensorKind, placement: BodySite, sampleRate: Double, channels: Int,
        unit: SampleUnit, firstSampleTime: Double, sampleCount: Int, producerSeq: UInt64? = nil, test: Bool? = nil
    ) {
        self.sensorId = sensorId
        self.kind = kind
        self.placement = placement
        self.sampleRate = sampleRate
        self.channels = channels
        self.unit = unit
        self.firstSampleTime = firstSampleTime
        self.sampleCount = sampleCount
        self.producerSeq = producerSeq
        self.test = test
    }

    /// Bytes the binary frame must have.
    public var payloadByteCount: Int { sampleCount * channels * MemoryLayout<Float32>.size }
}

/// Published once on `sensor.registered` when a sensor sends its first frame (and again
/// when its metadata changes).
public struct SensorRegistration: MessageBody {
    public static let messageType = "sensor.registered"
    public var sensorId: String
    public var kind: SensorKind
    public var placement: BodySite
    public var sampleRate: Double
    public var channels: Int
    /// Who sent it: "zmq" or "http", plus the producer's name when it gives one.
    public var via: String
    public var producer: String?

    public init(
        sensorId: String, kind: SensorKind, placement: BodySite, sampleRate: Double, channels: Int,
        via: String, producer: String? = nil
    ) {
        self.sensorId = sensorId
        self.kind = kind
        self.placement = placement
        self.sampleRate = sampleRate
        self.channels = channels
        self.via = via
        self.producer = producer
    }
}

/// Little-endian Float32 packing for sensor payloads.
public enum SamplePacking {
    public static func pack(_ samples: [Float]) -> Data {
        var data = Data(count: samples.count * 4)
        data.withUnsafeMutableBytes { raw in
            let out = raw.bindMemory(to: UInt32.self)
            for i in samples.indices { out[i] = samples[i].bitPattern.littleEndian }
        }
        return data
    }

    public static func unpack(_ data: Data) -> [Float] {
        let count = data.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
            }
            initialized = count
        }
    }
}

/// A request to sensor ingestion on its local endpoint (`Endpoints.sensorRequests`, REQ/REP,
/// JSON): `{"op":"list"}`, `{"op":"forget","sensorId":"curl-calf"}`,
/// `{"op":"rename","sensorId":"phone-3f2a","name":"My phone"}` or
/// `{"op":"move","sensorId":"phone-3f2a","placement":"left-forearm"}`. `spasmwatch sensors`
/// and the diary page's device list send them.
public struct SensorRequest: Codable, Sendable, Equatable {
    public enum Op: String, Codable, Sendable { case list, forget, rename, move }
    public var op: Op
    public var sensorId: String?
    /// `rename`: the name a person gives the device (1–40 characters; empty clears it).
    public var name: String?
    /// `move`: the body site it is worn at from now on (it wins over the site the device sends).
    public var placement: String?

    public init(op: Op, sensorId: String? = nil, name: String? = nil, placement: String? = nil) {
        self.op = op
        self.sensorId = sensorId
        self.name = name
        self.placement = placement
    }
}

/// Sensor ingestion's answer: every sensor it knows (`list`), or what `forget` removed.
public struct SensorReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    /// Every sensor known, sorted by id (list), or the one forgotten (forget).
    public var sensors: [SensorStatus]?
    /// `list`: frames accepted per sensor since the home began (kept across restarts, and
    /// for sensors since forgotten): compared with the store's `storedFrames`, the difference
    /// is frames lost between ingestion and storage.
    public var acceptedFrames: [String: Int64]?

    public init(ok: Bool, error: String? = nil, sensors: [SensorStatus]? = nil, acceptedFrames: [String: Int64]? = nil) {
        self.ok = ok
        self.error = error
        self.sensors = sensors
        self.acceptedFrames = acceptedFrames
    }
}
