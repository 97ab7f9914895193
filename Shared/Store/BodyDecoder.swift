import Foundation
import SpasmSchema

/// Decodes message bodies fast. The subscriber has already read and checked the envelope's
/// header, so only the `body` object is decoded (envelopes put it last: `…,"body":{…}}`):
/// by the type's hand-written reader when it has one (sensor frames, episodes: they come by
/// the thousand per second), else by JSONDecoder. Anything unusual falls back to
/// `JSONDecoder` on the whole envelope, so the result is always what `WireCodec` would give.
struct BodyDecoder {
    let decoder = JSONDecoder()
    static let marker = Array("\"body\":".utf8)

    func decode<Body: MessageBody>(_ type: Body.Type, _ envelope: Data) throws -> Body {
        if let range = Self.bodyRange(envelope) {
            let body = envelope[range]
            if Body.hasFlatReader, let decoded = FlatJSON.withMembers(body, { Body(flat: $0) }) { return decoded }
            if let decoded = try? decoder.decode(Body.self, from: body) { return decoded }
        }
        return try WireCodec.decode(type, from: envelope).body
    }

    func frame(_ envelope: Data) throws -> SensorFrame {
        try decode(SensorFrame.self, envelope)
    }

    /// The byte range of the body object, or nil.
    static func bodyRange(_ envelope: Data) -> Range<Data.Index>? {
        envelope.withUnsafeBytes { raw -> Range<Int>? in
            let n = raw.count
            let m = marker.count
            guard n > m + 2, raw[n - 1] == UInt8(ascii: "}") else { return nil }
            var i = n - m - 1
            while i >= 0 {
                if raw[i] == marker[0] {
                    var match = true
                    for k in 1..<m where raw[i + k] != marker[k] {
                        match = false
                        break
                    }
                    if match { return (i + m)..<(n - 1) }
                }
                i -= 1
            }
            return nil
        }.map { (envelope.startIndex + $0.lowerBound)..<(envelope.startIndex + $0.upperBound) }
    }
}
