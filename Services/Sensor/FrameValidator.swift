import Foundation
import SpasmSchema

/// Why a frame was refused: the words the producer reads, the field, and a short reason
/// that names a counter (`rejected.<reason>`).
struct FrameRejection: Error, Equatable, CustomStringConvertible {
    var message: String
    var field: String?
    var reason: String

    var description: String { message }
    var reply: ProducerReply { ProducerReply(ok: false, error: message, field: field, reason: reason) }
}

/// A frame that passed every check that needs no history: samples converted to g or mV.
struct ValidFrame: Sendable {
    var sensorId: String
    var kind: SensorSignal
    var placement: BodySite
    var sampleRate: Double
    var channels: Int
    var firstSampleTime: Double?
    var producer: String?
    var producerSeq: UInt64?
    /// Interleaved, in g (imu) or mV (emg).
    var samples: [Float]
    var sampleCount: Int { samples.count / channels }
}

/// The checks a frame must pass (docs/plug-in-a-sensor.md lists them). The same code
/// answers ZeroMQ, HTTP and `spasmwatch-sensor check`.
enum FrameValidator {
    static let imuRates = 25.0...200.0
    static let emgRates = 500.0...2000.0
    static let maxAcceleration: Float = 16       // g
    static let maxEMG: Float = 100               // mV
    static let standardGravity = 9.80665
    static let sensorIdPattern = "letters, digits, '.', '_' or '-', 1–64 characters"

    /// Parses and checks one frame: its JSON and, for ZeroMQ, an optional binary payload.
    static func validate(json: Data, binary: Data?, maxBytes: Int) throws(FrameRejection) -> ValidFrame {
        let total = json.count + (binary?.count ?? 0)
        if total > maxBytes {
            throw FrameRejection(message: "frame is \(total) bytes; at most \(maxBytes) bytes are allowed (send shorter frames)",
                                 field: nil, reason: "size")
        }
        // Fast path: a flat frame is read by FastFrameParser. Anything else (escapes, nested
        // values, malformed JSON) goes through JSONDecoder's generic path.
        guard let fields = FastFrameParser.parse(json) ?? (try? JSONDecoder().decode([String: JSONValue].self, from: json)) else {
            throw FrameRejection(message: "frame is not a valid JSON object", field: nil, reason: "json")
        }
        guard let versionValue = fields["v"] else {
            throw FrameRejection(message: "missing required field 'v' (the schema version: 1)", field: "v", reason: "version")
        }
        guard let version = integer(versionValue), version == SchemaVersion.current else {
            throw FrameRejection(message: "schema version \(versionValue.text) is not supported (this build speaks version \(SchemaVersion.current))",
                                 field: "v", reason: "version")
        }
        let sensorId = try string(fields, "sensorId")
        guard sensorId.count <= 64, !sensorId.isEmpty,
              sensorId.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }) else {
            throw FrameRejection(message: "sensorId '\(sensorId)' is not allowed: use \(sensorIdPattern)", field: "sensorId", reason: "field")
        }
        let kindText = try string(fields, "kind")
        guard let kind = SensorSignal(rawValue: kindText) else {
            throw FrameRejection(message: "kind '\(kindText)' is not allowed; allowed: imu, emg", field: "kind", reason: "field")
        }
        let placementText = try string(fields, "placement")
        guard let placement = BodySite(parsing: placementText) else {
            throw FrameRejection(message: "placement '\(placementText)' is not a body site; allowed: \(BodySite.allowedList)",
                                 field: "placement", reason: "field")
        }
        let sampleRate = try number(fields, "sampleRate")
        let rates = kind == .imu ? imuRates : emgRates
        guard sampleRate.isFinite, rates.contains(sampleRate) else {
            throw FrameRejection(message: "sampleRate \(format(sampleRate)) is outside \(format(rates.lowerBound))–\(format(rates.upperBound)) Hz for \(kind.rawValue)",
                                 field: "sampleRate", reason: "range")
        }
        let expectedChannels = kind == .imu ? 3 : 1
        var channels = expectedChannels
        if let value = fields["channels"] {
            guard let n = integer(value) else {
                throw FrameRejection(message: "channels must be a whole number", field: "channels", reason: "field")
            }
            guard n == expectedChannels else {
                throw FrameRejection(message: "channels \(n) is not allowed for \(kind.rawValue): must be \(expectedChannels)",
                                     field: "channels", reason: "range")
            }
            channels = n
        }
        let unitText = try string(fields, "unit")
        let allowedUnits = kind == .imu ? ["g", "m/s2"] : ["mV", "uV"]
        let unitAliases = ["m/s^2": "m/s2", "m/s²": "m/s2", "ms2": "m/s2", "µV": "uV", "μV": "uV", "mv": "mV"]
        let unit = unitAliases[unitText] ?? unitText
        guard allowedUnits.contains(unit) else {
            throw FrameRejection(message: "unit '\(unitText)' is not allowed for \(kind.rawValue); allowed: \(allowedUnits.joined(separator: ", "))",
                                 field: "unit", reason: "unit")
        }
        var firstSampleTime: Double?
        if let value = fields["firstSampleTime"], value != .null {
            guard let t = double(value), t.isFinite, t > 946_684_800, t < 4_102_444_800 else {
                throw FrameRejection(message: "firstSampleTime must be Unix epoch seconds (UTC) as a number, e.g. 1764072000.25",
                                     field: "firstSampleTime", reason: "time")
            }
            firstSampleTime = t
        }
        let producer = fields["producer"]?.stringValue
        let producerSeq = fields["seq"].flatMap(integer).map { UInt64(max(0, $0)) }

        // Samples: a JSON array or a binary frame, not both, not neither.
        var samples: [Float]
        let jsonSamples = fields["samples"]
        switch (jsonSamples, binary) {
        case (.some, .some(let b)) where !b.isEmpty:
            throw FrameRejection(message: "samples were sent twice: use either the 'samples' array or the binary frame",
                                 field: "samples", reason: "samples")
        case (.some(let value), _):
            guard case .array(let array) = value else {
                throw FrameRejection(message: "samples must be an array of numbers (channels interleaved)", field: "samples", reason: "samples")
            }
            samples = []
            samples.reserveCapacity(array.count)
            for (i, element) in array.enumerated() {
                guard let d = double(element) else {
                    throw FrameRejection(message: "sample \(i) is not a number; samples must be finite numbers", field: "samples", reason: "nan")
                }
                samples.append(Float(d))
            }
            if let declared = fields["sampleCount"].flatMap(integer), declared * channels != samples.count {
                throw FrameRejection(message: "sampleCount \(declared) does not match \(samples.count) values in samples for \(channels) channel(s)",
                                     field: "sampleCount", reason: "samples")
            }
        case (nil, .some(let b)):
            guard b.count % 4 == 0 else {
                throw FrameRejection(message: "binary frame has \(b.count) bytes: expected a multiple of 4 (little-endian Float32)",
                                     field: "samples", reason: "samples")
            }
            guard let declared = fields["sampleCount"].flatMap(integer) else {
                throw FrameRejection(message: "missing required field 'sampleCount' (samples per channel) for a binary frame",
                                     field: "sampleCount", reason: "field")
            }
            guard declared * channels * 4 == b.count else {
                throw FrameRejection(message: "binary frame has \(b.count / 4) values; sampleCount \(declared) × \(channels) channel(s) needs \(declared * channels)",
                                     field: "sampleCount", reason: "samples")
            }
            samples = SamplePacking.unpack(b)
        case (nil, nil):
            throw FrameRejection(message: "no samples: send a 'samples' array or a binary Float32 frame", field: "samples", reason: "samples")
        }
        if samples.isEmpty {
            throw FrameRejection(message: "a frame needs at least one sample", field: "samples", reason: "samples")
        }
        if samples.count % channels != 0 {
            throw FrameRejection(message: "samples has \(samples.count) values, not a multiple of \(channels) channels",
                                 field: "samples", reason: "samples")
        }
        // Units, then ranges, one pass.
        let scale: Float = unit == "m/s2" ? Float(1 / standardGravity) : unit == "uV" ? 0.001 : 1
        let limit = kind == .imu ? maxAcceleration : maxEMG
        let axisNames = ["ax", "ay", "az"]
        for i in samples.indices {
            let raw = samples[i]
            guard raw.isFinite else {
                throw FrameRejection(message: "sample \(i / channels) (\(kind == .imu ? axisNames[i % 3] : "emg")) is \(raw.isNaN ? "NaN" : "infinite"); samples must be finite numbers",
                                     field: "samples", reason: "nan")
            }
            let value = raw * scale
            if abs(value) > limit {
                let what = kind == .imu ? "|\(axisNames[i % 3])| must be ≤ 16 g" : "|emg| must be ≤ 100 mV"
                throw FrameRejection(message: "sample \(i / channels) (\(kind == .imu ? axisNames[i % 3] : "emg")) is \(format(Double(value))) \(kind == .imu ? "g" : "mV"); \(what) for \(kind.rawValue)",
                                     field: "samples", reason: "range")
            }
            samples[i] = value
        }
        return ValidFrame(sensorId: sensorId, kind: kind, placement: placement, sampleRate: sampleRate, channels: channels,
                          firstSampleTime: firstSampleTime, producer: producer, producerSeq: producerSeq, samples: samples)
    }

    private static func string(_ fields: [String: JSONValue], _ name: String) throws(FrameRejection) -> String {
        guard let value = fields[name] else {
            throw FrameRejection(message: "missing required field '\(name)'", field: name, reason: "field")
        }
        guard let text = value.stringValue else {
            throw FrameRejection(message: "field '\(name)' must be a string", field: name, reason: "field")
        }
        return text
    }

    private static func number(_ fields: [String: JSONValue], _ name: String) throws(FrameRejection) -> Double {
        guard let value = fields[name] else {
            throw FrameRejection(message: "missing required field '\(name)'", field: name, reason: "field")
        }
        guard let d = double(value) else {
            throw FrameRejection(message: "field '\(name)' must be a number", field: name, reason: "field")
        }
        return d
    }

    private static func double(_ value: JSONValue) -> Double? {
        if case .number(let d) = value { return d }
        return nil
    }

    private static func integer(_ value: JSONValue) -> Int? {
        guard let d = double(value), d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int(d)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.3g", value)
    }
}

/// Any JSON value, decoded strictly (a number is never a Bool and the reverse), so each
/// field's error can say exactly what was wrong.
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let d = try? container.decode(Double.self) { self = .number(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value as the producer wrote it, for error messages.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let d): FrameValidator.format(d)
        case .string(let s): "'\(s)'"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
