import Foundation
import SpasmErrors

/// The schema version this build speaks. A message with another version is rejected.
public enum SchemaVersion {
    public static let current = 1
}

/// A typed message body: knows its `type` name on the wire.
public protocol MessageBody: Codable, Sendable, Equatable {
    /// The `type` field of the envelope, e.g. "heartbeat".
    static var messageType: String { get }
    /// True for the few types with a hand-written reader (`init?(flat:)`), read without
    /// JSONDecoder on the hot path.
    static var hasFlatReader: Bool { get }
    /// The hand-written reader: nil for anything it does not read exactly as JSONDecoder does.
    init?(flat members: FlatJSON.Members)
}

extension MessageBody {
    public static var hasFlatReader: Bool { false }
    public init?(flat members: FlatJSON.Members) { return nil }
}

/// The fields every message carries, readable without knowing the body's type.
public struct EnvelopeHeader: Codable, Sendable, Equatable {
    /// Schema version (`v` on the wire).
    public var version: Int
    /// What the body is, e.g. "heartbeat", "sensor.frame", "manual.entry".
    public var type: String
    /// Message id: a UUID kept on every re-send of the same message.
    public var id: UUID
    /// The sender's stable name, e.g. "manual", "detect-0".
    public var source: String
    /// Random per start of the sender; sequence numbers restart at 0 with a new epoch.
    public var epoch: UInt32
    /// Per-sender sequence number (per epoch), for gap counting.
    public var seq: UInt64
    /// Sent time: Unix epoch seconds, UTC.
    public var time: Double
    /// Whose data this is (default "me").
    public var person: String

    enum CodingKeys: String, CodingKey {
        case version = "v", type, id, source, epoch, seq, time, person
    }

    public init(
        version: Int = SchemaVersion.current, type: String, id: UUID = .timeOrdered(), source: String,
        epoch: UInt32, seq: UInt64, time: Double, person: String = Person.defaultId
    ) {
        self.version = version
        self.type = type
        self.id = id
        self.source = source
        self.epoch = epoch
        self.seq = seq
        self.time = time
        self.person = person
    }
}

/// People are identified by a short id; a single-person home uses "me".
public enum Person {
    public static let defaultId = "me"
}

/// A whole message: header fields plus a typed `body`, flat on the wire:
/// `{"v":1,"type":"heartbeat","id":"…","source":"bus","epoch":7,"seq":3,"time":…,"person":"me","body":{…}}`.
public struct Envelope<Body: MessageBody>: Codable, Sendable, Equatable {
    public var header: EnvelopeHeader
    public var body: Body

    public init(header: EnvelopeHeader, body: Body) {
        precondition(header.type == Body.messageType, "envelope type must match body")
        self.header = header
        self.body = body
    }

    enum CodingKeys: String, CodingKey { case body }

    public init(from decoder: Decoder) throws {
        header = try EnvelopeHeader(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        body = try container.decode(Body.self, forKey: .body)
    }

    public func encode(to encoder: Encoder) throws {
        try header.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(body, forKey: .body)
    }
}

/// JSON encoding and decoding with the settings the wire format fixes (sorted keys, numbers
/// for time, UUIDs as strings), plus version checks with clear errors.
public enum WireCodec {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        try encoder().encode(value)
    }

    /// Reads only the header, checking the schema version.
    public static func decodeHeader(_ data: Data) throws(SpasmError) -> EnvelopeHeader {
        if let header = EnvelopeHeader.fastDecode(data), header.version == SchemaVersion.current { return header }
        let header: EnvelopeHeader
        do {
            header = try JSONDecoder().decode(EnvelopeHeader.self, from: data)
        } catch {
            throw SpasmError.schemaMalformed(describe(error, in: data))
        }
        guard header.version == SchemaVersion.current else {
            throw SpasmError.schemaUnsupportedVersion(header.version)
        }
        return header
    }

    /// Decodes a whole envelope, checking version and type.
    public static func decode<Body: MessageBody>(_ type: Body.Type, from data: Data) throws(SpasmError) -> Envelope<Body> {
        if Body.hasFlatReader,
            let envelope = FlatJSON.withMembers(
                data,
                { members -> Envelope<Body>? in
                    guard let header = EnvelopeHeader(flat: members), header.version == SchemaVersion.current,
                        header.type == Body.messageType, let body = members.value("body")?.members.flatMap(Body.init(flat:))
                    else { return nil }
                    return Envelope(header: header, body: body)
                })
        {
            return envelope
        }
        let header = try decodeHeader(data)
        guard header.type == Body.messageType else {
            throw SpasmError.schemaWrongType(expected: Body.messageType, got: header.type)
        }
        do {
            return try JSONDecoder().decode(Envelope<Body>.self, from: data)
        } catch {
            throw SpasmError.schemaMalformed(describe(error, in: data))
        }
    }

    /// A readable sentence for a DecodingError: which field, and what was wrong.
    public static func describe(_ error: Error) -> String {
        guard let decodingError = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            let at = path(context.codingPath + [key])
            return "missing required field '\(at)'"
        case .typeMismatch(_, let context) where path(context.codingPath) == "v":
            return
                "'v' must be the number \(SchemaVersion.current), not \(context.debugDescription.contains("string") ? "a string" : "another value"): send \"v\":\(SchemaVersion.current)"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' has the wrong type: expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' is null: expected \(typeName(type))"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            if at.isEmpty { return "not valid JSON" }
            return "field '\(at)': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Like `describe(_:)`, but a NaN, Infinity or 1e309 in `json` is named with its field
    /// (decoders call such text "not valid JSON", or read it as infinity).
    /// A decoder's bare "not valid JSON" becomes the reason (`JSONTextProblem`).
    public static func describe(_ error: Error, in json: Data) -> String {
        if let bad = NonFiniteNumbers.first(in: json) { return bad.message }
        if case .dataCorrupted(let context)? = error as? DecodingError, context.codingPath.isEmpty,
            let problem = JSONTextProblem.describe(json)
        {
            return problem
        }
        return describe(error)
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is Int64.Type, is UInt64.Type, is UInt32.Type, is Int32.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "\(type)".hasPrefix("Dictionary<") ? "an object" : "\(type)".hasPrefix("Array<") ? "a list" : "\(type)"
        }
    }
}

extension SpasmError.Code {
    public static let schemaUnsupportedVersion = SpasmError.Code("schema.unsupported-version")
    public static let schemaWrongType = SpasmError.Code("schema.wrong-type")
    public static let schemaMalformed = SpasmError.Code("schema.malformed")
    public static let schemaMissingPayload = SpasmError.Code("schema.missing-payload")
}

/// Why a message could not be read.
extension SpasmError {
    public static func schemaUnsupportedVersion(_ v: Int) -> SpasmError {
        SpasmError(.schemaUnsupportedVersion, "schema version \(v) is not supported (this build speaks version \(SchemaVersion.current))")
    }
    public static func schemaWrongType(expected: String, got: String) -> SpasmError {
        SpasmError(.schemaWrongType, "message type '\(got)' where '\(expected)' was expected")
    }
    public static func schemaMalformed(_ why: String) -> SpasmError { SpasmError(.schemaMalformed, why) }
    public static func schemaMissingPayload(_ why: String) -> SpasmError { SpasmError(.schemaMissingPayload, why) }
}

extension WireCodec {
    /// Builds an envelope from a header and an already-encoded body:
    /// the header's fields (sorted), then `"body"` last. Used for every publish, so a
    /// re-sent message keeps its id and body bytes but gets a fresh sequence number.
    public static func assemble(header: EnvelopeHeader, bodyJSON: Data) throws -> Data {
        if var writer = header.fastJSONPrefix(room: bodyJSON.count + 10) {
            writer.raw(",\"body\":")
            bodyJSON.withUnsafeBytes { writer.bytes.append(contentsOf: $0) }
            writer.raw("}")
            return writer.data
        }
        var data = try encoder().encode(header)
        precondition(data.last == UInt8(ascii: "}"))
        data.removeLast()
        data.append(contentsOf: Array(",\"body\":".utf8))
        data.append(bodyJSON)
        data.append(UInt8(ascii: "}"))
        return data
    }

    /// Encodes a typed envelope the same way `assemble` does.
    public static func encodeEnvelope<Body: MessageBody>(_ envelope: Envelope<Body>) throws -> Data {
        try assemble(header: envelope.header, bodyJSON: try encode(envelope.body))
    }
}
