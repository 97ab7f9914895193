import Foundation

/// A small parser for the flat JSON objects producers send (strings, numbers, booleans,
/// null, arrays of numbers): several times faster than JSONDecoder on the hot path. It
/// returns nil for anything else, and the caller falls back to JSONDecoder, whose generic
/// path gives the exact error message.
enum FastFrameParser {
    static func parse(_ data: Data) -> [String: JSONValue]? {
        data.withUnsafeBytes { raw -> [String: JSONValue]? in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return nil }
            var p = Cursor(base: base, count: raw.count)
            p.skipSpace()
            guard p.take(UInt8(ascii: "{")) else { return nil }
            var fields: [String: JSONValue] = [:]
            p.skipSpace()
            if p.take(UInt8(ascii: "}")) { return p.atEnd() ? fields : nil }
            while true {
                p.skipSpace()
                guard let key = p.string() else { return nil }
                p.skipSpace()
                guard p.take(UInt8(ascii: ":")) else { return nil }
                p.skipSpace()
                guard let value = p.value() else { return nil }
                fields[key] = value
                p.skipSpace()
                if p.take(UInt8(ascii: ",")) { continue }
                guard p.take(UInt8(ascii: "}")) else { return nil }
                return p.atEnd() ? fields : nil
            }
        }
    }

    struct Cursor {
        let base: UnsafePointer<UInt8>
        let count: Int
        var i = 0

        init(base: UnsafePointer<UInt8>, count: Int) {
            self.base = base
            self.count = count
        }

        var current: UInt8? { i < count ? base[i] : nil }

        mutating func skipSpace() {
            while i < count, base[i] == 32 || base[i] == 9 || base[i] == 10 || base[i] == 13 { i += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard i < count, base[i] == byte else { return false }
            i += 1
            return true
        }

        mutating func atEnd() -> Bool {
            skipSpace()
            return i == count
        }

        /// A string without escapes (anything with a backslash goes to the slow path).
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < count, base[i] != UInt8(ascii: "\"") {
                if base[i] == UInt8(ascii: "\\") || base[i] < 0x20 { return nil }
                i += 1
            }
            guard i < count else { return nil }
            let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
            i += 1
            return text
        }

        mutating func number() -> Double? {
            let start = i
            while i < count {
                let c = base[i]
                if (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { i += 1 } else { break }
            }
            guard i > start, i - start < 64 else { return nil }
            // strtod needs a terminated buffer.
            var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            return withUnsafeMutableBytes(of: &buffer) { tmp -> Double? in
                let out = tmp.bindMemory(to: CChar.self)
                for k in 0..<(i - start) { out[k] = CChar(bitPattern: base[start + k]) }
                out[i - start] = 0
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(out.baseAddress!, &end)
                guard let end, end - out.baseAddress! == i - start, value.isFinite else { return nil }
                return value
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= count else { return false }
            for k in 0..<n where base[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        mutating func value() -> JSONValue? {
            guard let c = current else { return nil }
            switch c {
            case UInt8(ascii: "\""): return string().map(JSONValue.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONValue] = []
                skipSpace()
                if take(UInt8(ascii: "]")) { return .array(items) }
                while true {
                    skipSpace()
                    guard let n = number() else { return nil }
                    items.append(.number(n))
                    skipSpace()
                    if take(UInt8(ascii: ",")) { continue }
                    return take(UInt8(ascii: "]")) ? .array(items) : nil
                }
            default:
                return number().map(JSONValue.number)
            }
        }
    }
}
