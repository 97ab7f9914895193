import Foundation

/// A small JSON writer for the few shapes on the hot path (the envelope header, sensor
/// frame headers): the same bytes JSONEncoder writes with sorted keys, several times faster.
/// The golden fixtures in Tests/SchemaTests pin the output.
struct FastJSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escape: copy them whole.
        var text = value
        let plain = text.withUTF8 { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if plain {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x08: bytes.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func integer<T: BinaryInteger>(_ value: T) {
        if let u = UInt64(exactly: value) {
            digits(u)
        } else if let i = Int64(exactly: value) {
            bytes.append(UInt8(ascii: "-"))
            digits(i.magnitude)
        } else {
            bytes.append(contentsOf: Array(String(value).utf8))
        }
    }

    private mutating func digits(_ value: UInt64) {
        if value < 10 {
            bytes.append(48 + UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var v = value
            var n = 0
            while v > 0 {
                buffer[19 - n] = 48 + UInt8(v % 10)
                v /= 10
                n += 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[(20 - n)...]))
        }
    }

    /// Doubles as JSONEncoder writes them: whole numbers without ".0", others in Swift's
    /// shortest round-tripping form.
    mutating func number(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        if value == value.rounded(), abs(value) < 1e15 {
            integer(Int64(value))
        } else {
            var text = value.description
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
        return true
    }

    /// One copy of the bytes (`Data(bytes)` would go through Data's generic sequence path).
    var data: Data { bytes.withUnsafeBufferPointer { Data(buffer: $0) } }
}

extension EnvelopeHeader {
    /// `{"epoch":…,"id":"…","person":"…","seq":…,"source":"…","time":…,"type":"…","v":1` —
    /// without the closing brace, ready for `"body"`. Nil when `time` is not finite.
    func fastJSONPrefix(room: Int = 0) -> FastJSONWriter? {
        // Room for the header's own bytes (about 180 with a short source and type) and what follows.
        var w = FastJSONWriter(capacity: 192 + source.utf8.count + type.utf8.count + person.utf8.count + room)
        w.raw("{\"epoch\":")
        w.integer(epoch)
        w.raw(",\"id\":\"")
        id.appendCanonical(to: &w.bytes)
        w.raw("\"")
        w.raw(",\"person\":")
        w.string(person)
        w.raw(",\"seq\":")
        w.integer(seq)
        w.raw(",\"source\":")
        w.string(source)
        w.raw(",\"time\":")
        guard w.number(time) else { return nil }
        w.raw(",\"type\":")
        w.string(type)
        w.raw(",\"v\":")
        w.integer(version)
        return w
    }
}

extension SensorFrame {
    /// The body as JSONEncoder would write it with sorted keys, without JSONEncoder.
    public func fastJSON() -> Data? {
        var w = FastJSONWriter()
        w.raw("{\"channels\":")
        w.integer(channels)
        w.raw(",\"firstSampleTime\":")
        guard w.number(firstSampleTime) else { return nil }
        w.raw(",\"kind\":")
        w.string(kind.rawValue)
        w.raw(",\"placement\":")
        w.string(placement.rawValue)
        if let producerSeq {
            w.raw(",\"producerSeq\":")
            w.integer(producerSeq)
        }
        w.raw(",\"sampleCount\":")
        w.integer(sampleCount)
        w.raw(",\"sampleRate\":")
        guard w.number(sampleRate) else { return nil }
        w.raw(",\"sensorId\":")
        w.string(sensorId)
        if let test { w.raw(test ? ",\"test\":true" : ",\"test\":false") }
        w.raw(",\"unit\":")
        w.string(unit.rawValue)
        w.raw("}")
        return w.data
    }
}

extension ProducerReply {
    /// The reply as JSONEncoder would write it with sorted keys (accepted frames: the hot path).
    public func fastJSON() -> Data {
        var w = FastJSONWriter(capacity: 96)
        w.raw("{")
        if let accepted {
            w.raw("\"accepted\":")
            w.integer(accepted)
            w.raw(",")
        }
        if let error {
            w.raw("\"error\":")
            w.string(error)
            w.raw(",")
        }
        if let field {
            w.raw("\"field\":")
            w.string(field)
            w.raw(",")
        }
        w.raw("\"ok\":")
        if ok { w.raw("true") } else { w.raw("false") }
        if let reason {
            w.raw(",\"reason\":")
            w.string(reason)
        }
        if let sensorId {
            w.raw(",\"sensorId\":")
            w.string(sensorId)
        }
        if let seq {
            w.raw(",\"seq\":")
            w.integer(seq)
        }
        w.raw("}")
        return w.data
    }
}

extension ProducerFrame {
    /// The frame's JSON as JSONEncoder would write it with sorted keys, without JSONEncoder
    /// (producers send one per frame). Nil when a number is not finite.
    public func fastJSON() -> Data? {
        var w = FastJSONWriter(capacity: 256 + (samples?.count ?? 0) * 8)
        w.raw("{")
        if let channels {
            w.raw("\"channels\":")
            w.integer(channels)
            w.raw(",")
        }
        if let firstSampleTime {
            w.raw("\"firstSampleTime\":")
            guard w.number(firstSampleTime) else { return nil }
            w.raw(",")
        }
        w.raw("\"kind\":")
        w.string(kind)
        w.raw(",\"placement\":")
        w.string(placement)
        if let producer {
            w.raw(",\"producer\":")
            w.string(producer)
        }
        if let sampleCount {
            w.raw(",\"sampleCount\":")
            w.integer(sampleCount)
        }
        w.raw(",\"sampleRate\":")
        guard w.number(sampleRate) else { return nil }
        if let samples {
            w.raw(",\"samples\":[")
            for (i, sample) in samples.enumerated() {
                if i > 0 { w.raw(",") }
                guard w.number(sample) else { return nil }
            }
            w.raw("]")
        }
        w.raw(",\"sensorId\":")
        w.string(sensorId)
        if let seq {
            w.raw(",\"seq\":")
            w.integer(seq)
        }
        if let test { w.raw(test ? ",\"test\":true" : ",\"test\":false") }
        w.raw(",\"unit\":")
        w.string(unit)
        w.raw(",\"v\":")
        w.integer(v)
        w.raw("}")
        return w.data
    }
}
