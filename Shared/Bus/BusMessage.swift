import Foundation
import SpasmErrors
import SpasmSchema

/// One message as it travels: `[topic][envelope JSON][optional binary payload]`.
public struct BusMessage: Sendable {
    public let topic: String
    public let header: EnvelopeHeader
    public let envelope: Data
    public let payload: Data?

    public init(topic: String, header: EnvelopeHeader, envelope: Data, payload: Data?) {
        self.topic = topic
        self.header = header
        self.envelope = envelope
        self.payload = payload
    }

    /// Parses received frames; throws a clear error for anything that is not our format.
    public init(frames: [Data]) throws(SpasmError) {
        guard frames.count == 2 || frames.count == 3 else {
            throw SpasmError.schemaMalformed("expected 2 or 3 frames [topic][envelope JSON][payload], got \(frames.count)")
        }
        guard let topic = Self.topicText(frames[0]) else {
            throw SpasmError.schemaMalformed("topic frame is not UTF-8 text")
        }
        self.topic = topic
        self.envelope = frames[1]
        self.header = try WireCodec.decodeHeader(frames[1])
        self.payload = frames.count == 3 ? frames[2] : nil
    }

    /// The topic frame as text, nil when it is not UTF-8. Every topic we send is ASCII: that is
    /// checked in one pass over the bytes; anything else (still checked) goes through Foundation.
    static func topicText(_ frame: Data) -> String? {
        let ascii = frame.withUnsafeBytes { raw -> String? in
            for byte in raw where byte >= 0x80 { return nil }
            return String(decoding: raw, as: UTF8.self)
        }
        return ascii ?? String(data: frame, encoding: .utf8)
    }

    /// Decodes the typed envelope.
    public func decode<Body: MessageBody>(_ type: Body.Type) throws(SpasmError) -> Envelope<Body> {
        try WireCodec.decode(type, from: envelope)
    }

    var frames: [Data] {
        var parts = [Data(topic.utf8), envelope]
        if let payload { parts.append(payload) }
        return parts
    }
}
