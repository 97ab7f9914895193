import Foundation
import SpasmSchema

/// Why a frame was refused: the words the producer reads, the field, and a short reason
/// that names a counter (`rejected.<reason>`).
public struct FrameRejection: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var field: String?
    public var reason: String

    public init(message: String, field: String?, reason: String) {
        self.message = message
        self.field = field
        self.reason = reason
    }

    public var description: String { message }
    public var reply: ProducerReply { ProducerReply(ok: false, error: message, field: field, reason: reason) }
}

/// A frame that passed every check that needs no history: samples converted to g or mV.
public struct ValidFrame: Sendable {
    public var sensorId: String
    public var kind: SensorKind
    public var placement: BodySite
    public var sampleRate: Double
    public var channels: Int
    public var firstSampleTime: Double?
    public var producer: String?
    public var producerSeq: UInt64?
    /// `"test": true`: a replay, a simulation, an example.
    public var test: Bool = false
    /// `"device"`: phone, watch, strap or other; nil when the frame does not say.
    public var device: DeviceKind?
    /// `"battery"`: percent, 0–100; nil when the frame does not say.
    public var battery: Double?
    /// Interleaved little-endian Float32, in g (imu) or mV (emg): what the bus carries.
    public var payload: Data
    public var sampleCount: Int { payload.count / 4 / channels }
    /// The samples as numbers (for tests and tools; the hot path keeps `payload`).
    public var samples: [Float] { SamplePacking.unpack(payload) }
}

/// The checks a frame must pass (docs/plug-in-a-sensor.md lists them). The same code
/// answers ZeroMQ, HTTP and `spasmwatch-sensor check`.
public enum FrameValidator {
    public static let imuRates = 25.0...200.0
    public static let emgRates = 500.0...2000.0
    public static let maxAcceleration: Float = 16  // g
    public static let maxEMG: Float = 100  // mV
    public static let standardGravity = 9.80665
    public static let sensorIdPattern = "letters, digits, '.', '_' or '-', 1–64 characters"
    /// A device clock may run a little ahead; a first sample further ahead of the server's
    /// clock than this is refused (the diary allows the same).
    public static let futureSlackSeconds: Double = 600

    /// Parses and checks one frame: its JSON and, for ZeroMQ, an optional binary payload.
    /// `now`: the server's clock, for the "not ahead of the server" rule.
    public static func validate(
        json: Data, binary: Data?, maxBytes: Int,
        now: Double = Date().timeIntervalSince1970
    ) throws(FrameRejection) -> ValidFrame {
        let total = json.count + (binary?.count ?? 0)
        if total > maxBytes {
            throw FrameRejection(
                message: "frame is \(total) bytes; at most \(maxBytes) bytes are allowed (send shorter frames)",
                field: nil, reason: "size")
        }
        // Fast path: FlatJSON reads the frame's members and the checks read them in place.
        if let checked = read(json, binary: binary, now: now) { return try checked.get() }
        // FlatJSON refused the text. Valid JSON it does not read (escaped member names, deep
        // nesting) is read by JSONSerialization and its members written again plainly.
        if let plain = plainJSON(json), let checked = read(plain, binary: binary, now: now) { return try checked.get() }
        throw notJSON(json)
    }

    /// The rejection for text that is not one JSON object: the non-finite number and its
    /// field, else the parser's reason.
    static func notJSON(_ json: Data) -> FrameRejection {
        if let bad = NonFiniteNumbers.first(in: json), !bad.field.isEmpty {
            return FrameRejection(message: bad.message, field: bad.field, reason: "nan")
        }
        if let problem = JSONTextProblem.syntax(json) {
            return FrameRejection(message: "frame is not a valid JSON object: \(problem)", field: nil, reason: "json")
        }
        let object = (try? JSONSerialization.jsonObject(with: json)) is [String: Any]
        return FrameRejection(
            message: "frame is not a valid JSON object" + (object ? ": a value nests deeper than 32 levels" : ""), field: nil, reason: "json")
    }

    /// Checks the members FlatJSON reads; nil when it refuses the text, or a member does not
    /// read exactly as JSONDecoder would read it (the caller then goes the slow way).
    static func read(_ json: Data, binary: Data?, now: Double) -> Result<ValidFrame, FrameRejection>? {
        FlatJSON.withMembers(json) { members -> Result<ValidFrame, FrameRejection>? in
            let readable = members.forEach { key, value in
                switch value.kind {
                case .string: value.string != nil
                case .number: value.double != nil
                case .bool, .null: true
                case .array where key == "samples": true  // read by check, which names the element
                case .array, .object:
                    value.numbers != nil || (try? JSONSerialization.jsonObject(with: Data(value.jsonBytes), options: .fragmentsAllowed)) != nil
                }
            }
            guard readable else { return nil }
            return Result { () throws(FrameRejection) -> ValidFrame in try check(members, json: json, binary: binary, now: now) }
        }
    }

    /// The members this validator reads, as JSONSerialization reads `json` (which keeps the
    /// last of duplicate names, FlatJSON the first), written again without escapes in the
    /// names; nil when `json` is not one JSON object.
    public static func plainJSON(_ json: Data) -> Data? {
        guard let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return nil }
        var plain = Data("{".utf8)
        for name in memberNames {
            guard let value = object[name],
                let text = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            else { continue }
            plain.append(contentsOf: Array((plain.count > 1 ? ",\"" : "\"").utf8) + Array(name.utf8) + Array("\":".utf8))
            plain.append(text)
        }
        plain.append(UInt8(ascii: "}"))
        return plain
    }

    public static let memberNames = [
        "v", "sensorId", "kind", "placement", "sampleRate", "channels", "unit", "firstSampleTime", "test",
        "device", "battery", "producer", "seq", "samples", "sampleCount",
    ]

    static func check(_ fields: FlatJSON.Members, json: Data, binary: Data?, now: Double) throws(FrameRejection) -> ValidFrame {
        guard let versionValue = fields.value("v") else {
            throw FrameRejection(message: "missing required field 'v' (the schema version: 1)", field: "v", reason: "version")
        }
        if let text = versionValue.string {
            throw FrameRejection(
                message: "'v' must be the number \(SchemaVersion.current), not the string \"\(text)\": send \"v\":\(SchemaVersion.current)",
                field: "v", reason: "version")
        }
        guard let version = integer(versionValue), version == SchemaVersion.current else {
            throw FrameRejection(
                message: "schema version \(text(versionValue)) is not supported (this build speaks version \(SchemaVersion.current))",
                field: "v", reason: "version")
        }
        let sensorId = try string(fields, "sensorId")
        guard sensorId.utf8.count <= 64, !sensorId.isEmpty, sensorId.utf8.allSatisfy(isSensorIdByte) else {
            throw FrameRejection(
                message: "sensorId \(EchoText.quoted(sensorId)) is not allowed: use \(sensorIdPattern)", field: "sensorId", reason: "field")
        }
        let kindText = try string(fields, "kind")
        guard let kind = SensorKind(rawValue: kindText) else {
            throw FrameRejection(message: "kind \(EchoText.quoted(kindText)) is not allowed; allowed: imu, emg", field: "kind", reason: "field")
        }
        let placementText = try string(fields, "placement")
        guard let placement = BodySite(rawValue: placementText) ?? BodySite(parsing: placementText) else {
            throw FrameRejection(
                message: "placement \(EchoText.quoted(placementText)) is not a body site; allowed: \(BodySite.allowedList)",
                field: "placement", reason: "field")
        }
        let sampleRate = try number(fields, "sampleRate")
        let rates = kind == .imu ? imuRates : emgRates
        guard sampleRate.isFinite, rates.contains(sampleRate) else {
            throw FrameRejection(
                message:
                    "sampleRate \(format(sampleRate)) is outside \(format(rates.lowerBound))–\(format(rates.upperBound)) Hz for \(kind.rawValue)",
                field: "sampleRate", reason: "range")
        }
        let expectedChannels = kind == .imu ? 3 : 1
        var channels = expectedChannels
        if let value = fields.value("channels") {
            guard let n = integer(value) else {
                throw FrameRejection(message: "channels must be a whole number", field: "channels", reason: "field")
            }
            guard n == expectedChannels else {
                throw FrameRejection(
                    message: "channels \(n) is not allowed for \(kind.rawValue): must be \(expectedChannels)",
                    field: "channels", reason: "range")
            }
            channels = n
        }
        let unitText = try string(fields, "unit")
        let allowedUnits = kind == .imu ? imuUnits : emgUnits
        let unit = unitAliases[unitText] ?? unitText
        guard allowedUnits.contains(unit) else {
            throw FrameRejection(
                message: "unit \(EchoText.quoted(unitText)) is not allowed for \(kind.rawValue); allowed: \(allowedUnits.joined(separator: ", "))",
                field: "unit", reason: "unit")
        }
        var firstSampleTime: Double?
        if let value = fields.value("firstSampleTime"), !value.isNull {
            guard let t = value.double, t.isFinite, t > 946_684_800, t < 4_102_444_800 else {
                throw FrameRejection(
                    message: "firstSampleTime must be Unix epoch seconds (UTC) as a number, e.g. 1764072000.25",
                    field: "firstSampleTime", reason: "time")
            }
            if t > now + futureSlackSeconds {
                throw FrameRejection(
                    message:
                        "firstSampleTime \(String(format: "%.3f", t)) (\(utc(t))) is \(duration(t - now)) ahead of the server clock (\(String(format: "%.3f", now)), \(utc(now))); at most \(Int(futureSlackSeconds / 60)) minutes ahead is allowed: set the device's clock, or leave firstSampleTime out to use the arrival time",
                    field: "firstSampleTime", reason: "clock")
            }
            firstSampleTime = t
        }
        var test = false
        if let value = fields.value("test"), !value.isNull {
            guard let b = value.bool else {
                throw FrameRejection(
                    message: "test must be true or false (true marks a test sensor: replays, simulations, examples)",
                    field: "test", reason: "field")
            }
            test = b
        }
        var device: DeviceKind?
        if let value = fields.value("device"), !value.isNull {
            guard let text = value.string, let kind = DeviceKind(rawValue: text) else {
                throw FrameRejection(
                    message: "device \(Self.text(value)) is not allowed; allowed: \(DeviceKind.allCases.map(\.rawValue).joined(separator: ", "))",
                    field: "device", reason: "field")
            }
            device = kind
        }
        var battery: Double?
        if let value = fields.value("battery"), !value.isNull {
            guard let percent = value.double, percent.isFinite, (0...100).contains(percent) else {
                throw FrameRejection(
                    message:
                        "battery \(text(value)) is not allowed: the battery in percent, a number from 0 to 100 (leave it out when the device does not know)",
                    field: "battery", reason: "range")
            }
            battery = percent
        }
        let producer = fields.value("producer")?.string
        let producerSeq = fields.value("seq").flatMap(integer).map { UInt64(max(0, $0)) }

        // Samples: a JSON array or a binary frame, not both, not neither. Either way they
        // end as little-endian Float32, the bus's form.
        var payload: Data
        let jsonSamples = fields.value("samples")
        switch (jsonSamples, binary) {
        case (.some, .some(let b)) where !b.isEmpty:
            throw FrameRejection(
                message: "samples were sent twice: use either the 'samples' array or the binary frame",
                field: "samples", reason: "samples")
        case (.some(let value), _):
            guard value.kind == .array else {
                throw FrameRejection(message: "samples must be an array of numbers (channels interleaved)", field: "samples", reason: "samples")
            }
            guard let numbers = value.numbers else {
                var bad: (index: Int, element: FlatJSON.Value)?
                _ = value.forEachElement { i, element in
                    if element.double != nil { return true }
                    bad = (i, element)
                    return false
                }
                // A number beyond a Double, or a string that is not UTF-8: JSONDecoder refuses the text.
                guard let bad, bad.element.kind != .number, (try? JSONSerialization.jsonObject(with: json)) != nil else { throw notJSON(json) }
                throw FrameRejection(message: "sample \(bad.index) is not a number; samples must be finite numbers", field: "samples", reason: "nan")
            }
            let samples = numbers.map { Float($0) }
            if let declared = fields.value("sampleCount").flatMap(integer), declared * channels != samples.count {
                throw FrameRejection(
                    message: "sampleCount \(declared) does not match \(samples.count) values in samples for \(channels) channel(s)",
                    field: "sampleCount", reason: "samples")
            }
            payload = SamplePacking.pack(samples)
        case (nil, .some(let b)):
            guard b.count % 4 == 0 else {
                throw FrameRejection(
                    message: "binary frame has \(b.count) bytes: expected a multiple of 4 (little-endian Float32)",
                    field: "samples", reason: "samples")
            }
            guard let declaredValue = fields.value("sampleCount") else {
                throw FrameRejection(
                    message: "missing required field 'sampleCount' (samples per channel) for a binary frame",
                    field: "sampleCount", reason: "field")
            }
            guard let declared = integer(declaredValue) else {
                throw FrameRejection(
                    message: "sampleCount must be a whole number (samples per channel), not \(text(declaredValue))",
                    field: "sampleCount", reason: "field")
            }
            guard declared * channels * 4 == b.count else {
                throw FrameRejection(
                    message: "binary frame has \(b.count / 4) values; sampleCount \(declared) × \(channels) channel(s) needs \(declared * channels)",
                    field: "sampleCount", reason: "samples")
            }
            payload = b
        case (nil, nil):
            throw FrameRejection(message: "no samples: send a 'samples' array or a binary Float32 frame", field: "samples", reason: "samples")
        }
        let valueCount = payload.count / 4
        if valueCount == 0 {
            throw FrameRejection(message: "a frame needs at least one sample", field: "samples", reason: "samples")
        }
        if valueCount % channels != 0 {
            throw FrameRejection(
                message: "samples has \(valueCount) values, not a multiple of \(channels) channels",
                field: "samples", reason: "samples")
        }
        // Units, then ranges, one pass over the Float32 bytes (converted in place only when
        // the unit is not already g or mV).
        let scale: Float = unit == "m/s2" ? Float(1 / standardGravity) : unit == "uV" ? 0.001 : 1
        let limit = kind == .imu ? maxAcceleration : maxEMG
        var problem: (index: Int, value: Float)?
        if scale == 1 {
            payload.withUnsafeBytes { raw in
                for i in 0..<valueCount {
                    let value = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    if !value.isFinite || abs(value) > limit {
                        problem = (i, value)
                        return
                    }
                }
            }
        } else {
            payload.withUnsafeMutableBytes { raw in
                for i in 0..<valueCount {
                    let rawValue = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    let value = rawValue * scale
                    if !rawValue.isFinite || abs(value) > limit {
                        problem = (i, rawValue.isFinite ? value : rawValue)
                        return
                    }
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            }
        }
        if let (i, value) = problem {
            let axis = kind == .imu ? axisNames[i % 3] : "emg"
            guard value.isFinite else {
                throw FrameRejection(
                    message: "sample \(i / channels) (\(axis)) is \(value.isNaN ? "NaN" : "infinite"); samples must be finite numbers",
                    field: "samples", reason: "nan")
            }
            let what = kind == .imu ? "|\(axis)| must be ≤ 16 g" : "|emg| must be ≤ 100 mV"
            throw FrameRejection(
                message: "sample \(i / channels) (\(axis)) is \(format(Double(value))) \(kind == .imu ? "g" : "mV"); \(what) for \(kind.rawValue)",
                field: "samples", reason: "range")
        }
        return ValidFrame(
            sensorId: sensorId, kind: kind, placement: placement, sampleRate: sampleRate, channels: channels,
            firstSampleTime: firstSampleTime, producer: producer, producerSeq: producerSeq, test: test,
            device: device, battery: battery, payload: payload)
    }

    /// `2026-12-01 08:00:00 UTC`, for messages about clocks.
    public static func utc(_ t: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: t))
    }

    /// `86400 s (24 h)`, `720 s (12 min)`, `3.5 s`.
    public static func duration(_ seconds: Double) -> String {
        let s = abs(seconds)
        if s >= 7200 { return "\(Int(s.rounded())) s (\(format((s / 3600 * 10).rounded() / 10)) h)" }
        if s >= 120 { return "\(Int(s.rounded())) s (\(Int((s / 60).rounded())) min)" }
        return String(format: "%.3f s", s)
    }

    public static let imuUnits = ["g", "m/s2"]
    public static let emgUnits = ["mV", "uV"]
    public static let unitAliases = ["m/s^2": "m/s2", "m/s²": "m/s2", "ms2": "m/s2", "µV": "uV", "μV": "uV", "mv": "mV"]
    public static let axisNames = ["ax", "ay", "az"]

    /// Letters, digits, '.', '_' or '-' (ASCII).
    public static func isSensorIdByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
    }

    private static func string(_ fields: FlatJSON.Members, _ name: StaticString) throws(FrameRejection) -> String {
        guard let value = fields.value(name) else {
            throw FrameRejection(message: "missing required field '\(name)'", field: "\(name)", reason: "field")
        }
        guard let text = value.string else {
            throw FrameRejection(message: "field '\(name)' must be a string", field: "\(name)", reason: "field")
        }
        return text
    }

    private static func number(_ fields: FlatJSON.Members, _ name: StaticString) throws(FrameRejection) -> Double {
        guard let value = fields.value(name) else {
            throw FrameRejection(message: "missing required field '\(name)'", field: "\(name)", reason: "field")
        }
        guard let d = value.double else {
            throw FrameRejection(message: "field '\(name)' must be a number", field: "\(name)", reason: "field")
        }
        return d
    }

    private static func integer(_ value: FlatJSON.Value) -> Int? {
        guard let d = value.double, d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int(d)
    }

    /// The value as the producer wrote it, for error messages.
    private static func text(_ value: FlatJSON.Value) -> String {
        switch value.kind {
        case .null: "null"
        case .bool: "\(value.bool!)"
        case .number: value.double.map(format) ?? String(decoding: value.jsonBytes, as: UTF8.self)
        case .string: "'\(value.string ?? "")'"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.3g", value)
    }
}
