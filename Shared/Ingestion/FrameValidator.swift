import Foundation
import SpasmErrors
import SpasmSchema

extension SpasmError.Code {
    // A refused frame. The code's last word is the reason the producer reads
    // (`"reason":"range"`) and names the counter (`rejected.range`); `detail` is the field,
    // when there is one. FrameValidator throws the first ten; IngestionCore, for the rules
    // that need history, the last three and `frameTime` (a sensor's clock jumped).
    public static let frameSize = SpasmError.Code("frame.size")
    public static let frameJSON = SpasmError.Code("frame.json")
    public static let frameNaN = SpasmError.Code("frame.nan")
    public static let frameVersion = SpasmError.Code("frame.version")
    public static let frameField = SpasmError.Code("frame.field")
    public static let frameRange = SpasmError.Code("frame.range")
    public static let frameUnit = SpasmError.Code("frame.unit")
    public static let frameTime = SpasmError.Code("frame.time")
    public static let frameClock = SpasmError.Code("frame.clock")
    public static let frameSamples = SpasmError.Code("frame.samples")
    public static let frameSensorBinding = SpasmError.Code("frame.sensor-binding")
    public static let frameRateLimit = SpasmError.Code("frame.rate-limit")
    public static let frameSensorLimit = SpasmError.Code("frame.sensor-limit")
}

extension SpasmError {
    /// Every reason sensor ingestion counts a refused frame under (`rejected.<reason>` in its
    /// heartbeat): the codes above, `auth` (no or a wrong token) and `internal` (its own
    /// failure). A fixed list, so the metrics exporter's `reason` label stays bounded.
    public static let frameRejectionReasons: [String] =
        [
            Code.frameSize, .frameJSON, .frameNaN, .frameVersion, .frameField, .frameRange, .frameUnit, .frameTime, .frameClock,
            .frameSamples, .frameSensorBinding, .frameRateLimit, .frameSensorLimit,
        ].map { String($0.name.dropFirst("frame.".count)) } + ["auth", "internal"]
}

extension SpasmError {
    /// Whether this refuses a frame (a code `frame.<reason>`), rather than being a failure of
    /// ingestion's own.
    public var rejectsFrame: Bool { code.name.hasPrefix("frame.") }
}

extension ProducerReply {
    /// What a producer reads for a refused frame: the sentence, the field and the reason.
    public init(rejection: SpasmError) {
        self.init(ok: false, error: rejection.message, field: rejection.detail, reason: rejection.reason)
    }
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
    ) throws(SpasmError) -> ValidFrame {
        let total = json.count + (binary?.count ?? 0)
        if total > maxBytes {
            throw SpasmError(
                .frameSize, "frame is \(total) bytes; at most \(maxBytes) bytes are allowed (send shorter frames)")
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
    static func notJSON(_ json: Data) -> SpasmError {
        if let bad = NonFiniteNumbers.first(in: json), !bad.field.isEmpty {
            return SpasmError(.frameNaN, bad.message, detail: bad.field)
        }
        if let problem = JSONTextProblem.syntax(json) {
            return SpasmError(.frameJSON, "frame is not a valid JSON object: \(problem)")
        }
        let object = (try? JSONSerialization.jsonObject(with: json)) is [String: Any]
        return SpasmError(
            .frameJSON, "frame is not a valid JSON object" + (object ? ": a value nests deeper than 32 levels" : ""))
    }

    /// Checks the members FlatJSON reads; nil when it refuses the text, or a member does not
    /// read exactly as JSONDecoder would read it (the caller then goes the slow way).
    static func read(_ json: Data, binary: Data?, now: Double) -> Result<ValidFrame, SpasmError>? {
        FlatJSON.withMembers(json) { members -> Result<ValidFrame, SpasmError>? in
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
            return Result { () throws(SpasmError) -> ValidFrame in try check(members, json: json, binary: binary, now: now) }
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

    static func check(_ fields: FlatJSON.Members, json: Data, binary: Data?, now: Double) throws(SpasmError) -> ValidFrame {
        guard let versionValue = fields.value("v") else {
            throw SpasmError(.frameVersion, "missing required field 'v' (the schema version: 1)", detail: "v")
        }
        if let text = versionValue.string {
            throw SpasmError(
                .frameVersion, "'v' must be the number \(SchemaVersion.current), not the string \"\(text)\": send \"v\":\(SchemaVersion.current)",
                detail: "v")
        }
        guard let version = integer(versionValue), version == SchemaVersion.current else {
            throw SpasmError(
                .frameVersion, "schema version \(text(versionValue)) is not supported (this build speaks version \(SchemaVersion.current))",
                detail: "v")
        }
        let sensorId = try string(fields, "sensorId")
        guard sensorId.utf8.count <= 64, !sensorId.isEmpty, sensorId.utf8.allSatisfy(isSensorIdByte) else {
            throw SpasmError(
                .frameField, "sensorId \(EchoText.quoted(sensorId)) is not allowed: use \(sensorIdPattern)", detail: "sensorId")
        }
        let kindText = try string(fields, "kind")
        guard let kind = SensorKind(rawValue: kindText) else {
            throw SpasmError(.frameField, "kind \(EchoText.quoted(kindText)) is not allowed; allowed: imu, emg", detail: "kind")
        }
        let placementText = try string(fields, "placement")
        guard let placement = BodySite(rawValue: placementText) ?? BodySite(parsing: placementText) else {
            throw SpasmError(.frameField, "placement \(BodySite.notASite(placementText, quote: { EchoText.quoted($0) }))", detail: "placement")
        }
        let sampleRate = try number(fields, "sampleRate")
        let rates = kind == .imu ? imuRates : emgRates
        guard sampleRate.isFinite, rates.contains(sampleRate) else {
            throw SpasmError(
                .frameRange,
                "sampleRate \(format(sampleRate)) is outside \(format(rates.lowerBound))–\(format(rates.upperBound)) Hz for \(kind.rawValue)",
                detail: "sampleRate")
        }
        let expectedChannels = kind == .imu ? 3 : 1
        var channels = expectedChannels
        if let value = fields.value("channels") {
            guard let n = integer(value) else {
                throw SpasmError(.frameField, "channels must be a whole number", detail: "channels")
            }
            guard n == expectedChannels else {
                throw SpasmError(
                    .frameRange, "channels \(n) is not allowed for \(kind.rawValue): must be \(expectedChannels)", detail: "channels")
            }
            channels = n
        }
        let unitText = try string(fields, "unit")
        let allowedUnits = kind == .imu ? imuUnits : emgUnits
        let unit = unitAliases[unitText] ?? unitText
        guard allowedUnits.contains(unit) else {
            throw SpasmError(
                .frameUnit, "unit \(EchoText.quoted(unitText)) is not allowed for \(kind.rawValue); allowed: \(allowedUnits.joined(separator: ", "))",
                detail: "unit")
        }
        var firstSampleTime: Double?
        if let value = fields.value("firstSampleTime"), !value.isNull {
            guard let t = value.double, t.isFinite, t > 946_684_800, t < 4_102_444_800 else {
                throw SpasmError(
                    .frameTime, "firstSampleTime must be Unix epoch seconds (UTC) as a number, e.g. 1764072000.25", detail: "firstSampleTime")
            }
            if t > now + futureSlackSeconds {
                throw SpasmError(
                    .frameClock,
                    "firstSampleTime \(String(format: "%.3f", t)) (\(utc(t))) is \(duration(t - now)) ahead of the server clock (\(String(format: "%.3f", now)), \(utc(now))); at most \(Int(futureSlackSeconds / 60)) minutes ahead is allowed: set the device's clock, or leave firstSampleTime out to use the arrival time",
                    detail: "firstSampleTime")
            }
            firstSampleTime = t
        }
        var test = false
        if let value = fields.value("test"), !value.isNull {
            guard let b = value.bool else {
                throw SpasmError(
                    .frameField, "test must be true or false (true marks a test sensor: replays, simulations, examples)", detail: "test")
            }
            test = b
        }
        var device: DeviceKind?
        if let value = fields.value("device"), !value.isNull {
            guard let text = value.string, let kind = DeviceKind(rawValue: text) else {
                throw SpasmError(
                    .frameField, "device \(Self.text(value)) is not allowed; allowed: \(DeviceKind.allCases.map(\.rawValue).joined(separator: ", "))",
                    detail: "device")
            }
            device = kind
        }
        var battery: Double?
        if let value = fields.value("battery"), !value.isNull {
            guard let percent = value.double, percent.isFinite, (0...100).contains(percent) else {
                throw SpasmError(
                    .frameRange,
                    "battery \(text(value)) is not allowed: the battery in percent, a number from 0 to 100 (leave it out when the device does not know)",
                    detail: "battery")
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
            throw SpasmError(
                .frameSamples, "samples were sent twice: use either the 'samples' array or the binary frame", detail: "samples")
        case (.some(let value), _):
            guard value.kind == .array else {
                throw SpasmError(.frameSamples, "samples must be an array of numbers (channels interleaved)", detail: "samples")
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
                throw SpasmError(.frameNaN, "sample \(bad.index) is not a number; samples must be finite numbers", detail: "samples")
            }
            let samples = numbers.map { Float($0) }
            if let declared = fields.value("sampleCount").flatMap(integer), declared * channels != samples.count {
                throw SpasmError(
                    .frameSamples, "sampleCount \(declared) does not match \(samples.count) values in samples for \(channels) channel(s)",
                    detail: "sampleCount")
            }
            payload = SamplePacking.pack(samples)
        case (nil, .some(let b)):
            guard b.count % 4 == 0 else {
                throw SpasmError(
                    .frameSamples, "binary frame has \(b.count) bytes: expected a multiple of 4 (little-endian Float32)", detail: "samples")
            }
            guard let declaredValue = fields.value("sampleCount") else {
                throw SpasmError(
                    .frameField, "missing required field 'sampleCount' (samples per channel) for a binary frame", detail: "sampleCount")
            }
            guard let declared = integer(declaredValue) else {
                throw SpasmError(
                    .frameField, "sampleCount must be a whole number (samples per channel), not \(text(declaredValue))", detail: "sampleCount")
            }
            guard declared * channels * 4 == b.count else {
                throw SpasmError(
                    .frameSamples,
                    "binary frame has \(b.count / 4) values; sampleCount \(declared) × \(channels) channel(s) needs \(declared * channels)",
                    detail: "sampleCount")
            }
            payload = b
        case (nil, nil):
            throw SpasmError(.frameSamples, "no samples: send a 'samples' array or a binary Float32 frame", detail: "samples")
        }
        let valueCount = payload.count / 4
        if valueCount == 0 {
            throw SpasmError(.frameSamples, "a frame needs at least one sample", detail: "samples")
        }
        if valueCount % channels != 0 {
            throw SpasmError(
                .frameSamples, "samples has \(valueCount) values, not a multiple of \(channels) channels", detail: "samples")
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
                throw SpasmError(
                    .frameNaN, "sample \(i / channels) (\(axis)) is \(value.isNaN ? "NaN" : "infinite"); samples must be finite numbers",
                    detail: "samples")
            }
            let what = kind == .imu ? "|\(axis)| must be ≤ 16 g" : "|emg| must be ≤ 100 mV"
            throw SpasmError(
                .frameRange,
                "sample \(i / channels) (\(axis)) is \(format(Double(value))) \(kind == .imu ? "g" : "mV"); \(what) for \(kind.rawValue)",
                detail: "samples")
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

    private static func string(_ fields: FlatJSON.Members, _ name: StaticString) throws(SpasmError) -> String {
        guard let value = fields.value(name) else {
            throw SpasmError(.frameField, "missing required field '\(name)'", detail: "\(name)")
        }
        guard let text = value.string else {
            throw SpasmError(.frameField, "field '\(name)' must be a string", detail: "\(name)")
        }
        return text
    }

    private static func number(_ fields: FlatJSON.Members, _ name: StaticString) throws(SpasmError) -> Double {
        guard let value = fields.value(name) else {
            throw SpasmError(.frameField, "missing required field '\(name)'", detail: "\(name)")
        }
        guard let d = value.double else {
            throw SpasmError(.frameField, "field '\(name)' must be a number", detail: "\(name)")
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
