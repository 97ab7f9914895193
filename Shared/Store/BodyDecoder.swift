import Foundation
import SpasmSchema

/// Decodes message bodies fast. The subscriber has already read and checked the envelope's
/// header, so only the `body` object is decoded (envelopes put it last: `…,"body":{…}}`),
/// and a sensor frame's flat body is read by a small hand-written scanner, since frames come
/// by the hundred thousand per second. Anything unusual falls back to `JSONDecoder` on the
/// whole envelope, so the result is always what `WireCodec` would give.
struct BodyDecoder {
    let decoder = JSONDecoder()
    static let marker = Array("\"body\":".utf8)

    func decode<Body: MessageBody>(_ type: Body.Type, _ envelope: Data) throws -> Body {
        if let range = Self.bodyRange(envelope), let body = try? decoder.decode(Body.self, from: envelope[range]) {
            return body
        }
        return try WireCodec.decode(type, from: envelope).body
    }

    func frame(_ envelope: Data) throws -> SensorFrame {
        if let range = Self.bodyRange(envelope),
           let frame = envelope.withUnsafeBytes({ FlatFrameScanner.scan($0, range.lowerBound - envelope.startIndex,
                                                                         range.upperBound - envelope.startIndex) }) {
            return frame
        }
        return try decode(SensorFrame.self, envelope)
    }

    /// The byte range of the body object, or nil.
    static func bodyRange(_ envelope: Data) -> Range<Data.Index>? {
        envelope.withUnsafeBytes { raw -> Range<Int>? in
            let n = raw.count, m = marker.count
            guard n > m + 2, raw[n - 1] == UInt8(ascii: "}") else { return nil }
            var i = n - m - 1
            while i >= 0 {
                if raw[i] == marker[0] {
                    var match = true
                    for k in 1..<m where raw[i + k] != marker[k] { match = false; break }
                    if match { return (i + m)..<(n - 1) }
                }
                i -= 1
            }
            return nil
        }.map { (envelope.startIndex + $0.lowerBound)..<(envelope.startIndex + $0.upperBound) }
    }
}

/// Reads `{"channels":3,"firstSampleTime":1764000000.5,"kind":"imu",…}`: one flat object of
/// plain strings (no escapes), numbers and nulls. Returns nil for anything else.
enum FlatFrameScanner {
    static func scan(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> SensorFrame? {
        var i = start
        func skipSpace() { while i < end, raw[i] == 0x20 || raw[i] == 0x0A || raw[i] == 0x0D || raw[i] == 0x09 { i += 1 } }
        func string() -> String? {
            guard i < end, raw[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let from = i
            while i < end, raw[i] != UInt8(ascii: "\"") {
                if raw[i] == UInt8(ascii: "\\") { return nil }
                i += 1
            }
            guard i < end else { return nil }
            defer { i += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[from..<i]), as: UTF8.self)
        }
        var sensorId: String?, kind: SensorSignal?, placement: BodySite?, unit: SampleUnit?
        var sampleRate: Double?, channels: Int?, firstSampleTime: Double?, sampleCount: Int?, producerSeq: UInt64?
        skipSpace()
        guard i < end, raw[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard i < end, raw[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            guard i < end else { return nil }
            if raw[i] == UInt8(ascii: "\"") {
                guard let value = string() else { return nil }
                switch key {
                case "sensorId": sensorId = value
                case "kind": kind = SensorSignal(rawValue: value)
                case "placement": placement = BodySite(rawValue: value)
                case "unit": unit = SampleUnit(rawValue: value)
                default: break
                }
            } else if raw[i] == UInt8(ascii: "n") {
                i += 4
            } else {
                let from = i
                while i < end, raw[i] == UInt8(ascii: "-") || raw[i] == UInt8(ascii: "+") || raw[i] == UInt8(ascii: ".")
                        || raw[i] == UInt8(ascii: "e") || raw[i] == UInt8(ascii: "E") || (raw[i] >= 0x30 && raw[i] <= 0x39) {
                    i += 1
                }
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[from..<i]), as: UTF8.self)
                guard let number = Double(text) else { return nil }
                switch key {
                case "sampleRate": sampleRate = number
                case "firstSampleTime": firstSampleTime = number
                case "channels": channels = Int(exactly: number)
                case "sampleCount": sampleCount = Int(exactly: number)
                case "producerSeq": producerSeq = UInt64(text)
                default: break
                }
            }
            skipSpace()
            guard i < end else { return nil }
            if raw[i] == UInt8(ascii: ",") { i += 1; continue }
            if raw[i] == UInt8(ascii: "}") { break }
            return nil
        }
        guard let sensorId, let kind, let placement, let unit, let sampleRate, let channels, let firstSampleTime,
              let sampleCount else { return nil }
        return SensorFrame(sensorId: sensorId, kind: kind, placement: placement, sampleRate: sampleRate, channels: channels,
                           unit: unit, firstSampleTime: firstSampleTime, sampleCount: sampleCount, producerSeq: producerSeq)
    }
}
