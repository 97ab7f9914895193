import Foundation

/// Reads the members of one JSON object without Codable, for the hot paths (every bus
/// message's envelope header, sensor frames, episode events, producer frames and replies).
/// It is strict: anything it does not handle exactly as `JSONDecoder` would (a number with a
/// fraction where an integer is wanted, a missing required field, malformed JSON) makes the
/// typed readers return nil, and callers fall back to `JSONDecoder`, whose error messages
/// are the ones users see. Tests compare both decoders on the golden fixtures.
public enum FlatJSON {
    /// Calls `body` with the members of the JSON object in `data`. Nested objects and arrays
    /// are checked and handed over as `.object`/`.array` values. Returns nil when `data` is
    /// not exactly one well-formed JSON object (or nests deeper than 32 levels).
    public static func withMembers<T>(_ data: Data, _ body: (inout Members) -> T?) -> T? {
        data.withUnsafeBytes { raw -> T? in
            var cursor = Cursor(raw: raw)
            guard var members = cursor.readObjectMembers(), cursor.atEnd() else { return nil }
            return body(&members)
        }
    }

    /// The members of an object, in document order; valid only inside `withMembers`.
    public struct Members {
        let raw: UnsafeRawBufferPointer
        var entries: [(key: Range<Int>, value: Value)]

        /// The first member with this name: JSONDecoder keeps the first of duplicates, and the
        /// fast and slow paths must read the same bytes the same way.
        public func value(_ name: StaticString) -> Value? {
            for entry in entries where Key(raw: raw, range: entry.key) == name { return entry.value }
            return nil
        }

        /// Visits every member; `visit` returns false to stop (and make `forEach` return false).
        public func forEach(_ visit: (_ key: Key, _ value: Value) -> Bool) -> Bool {
            for entry in entries where !visit(Key(raw: raw, range: entry.key), entry.value) { return false }
            return true
        }
    }

    /// A member's name, compared without making a String.
    public struct Key {
        let raw: UnsafeRawBufferPointer
        let range: Range<Int>

        public static func == (key: Key, name: StaticString) -> Bool {
            let n = name.utf8CodeUnitCount
            guard key.range.count == n else { return false }
            let bytes = name.utf8Start
            for k in 0..<n where key.raw[key.range.lowerBound + k] != bytes[k] { return false }
            return true
        }

        public var string: String {
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
        }
    }

    /// One value; its accessors return nil when it is not of the asked type.
    public struct Value {
        public enum Kind: Sendable { case string, number, bool, null, object, array }
        public let kind: Kind
        let raw: UnsafeRawBufferPointer
        /// For strings: the content between the quotes; otherwise the value's own bytes.
        let range: Range<Int>
        let escaped: Bool

        public var isNull: Bool { kind == .null }

        public var string: String? {
            guard kind == .string else { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
            return escaped ? FlatJSON.unescape(bytes) : FlatJSON.text(bytes)
        }

        public var bool: Bool? {
            guard kind == .bool else { return nil }
            return raw[range.lowerBound] == UInt8(ascii: "t")
        }

        /// Any JSON number.
        public var double: Double? {
            guard kind == .number else { return nil }
            if let whole = wholeNumber, whole.magnitude < (1 << 53) { return Double(whole) }
            if let exact = shortDecimal { return exact }
            return FlatJSON.strtod(UnsafeRawBufferPointer(rebasing: raw[range]))
        }

        /// `-?digits.digits` whose digits, read as one integer, stay below 2^53, with at most 22
        /// after the point (a time such as 1764647109.123456): that integer and the power of ten
        /// are both exact doubles, so one division rounds correctly and gives the double strtod
        /// gives (Clinger's fast path). Nil for anything else (exponents, more digits).
        private var shortDecimal: Double? {
            var i = range.lowerBound
            let negative = raw[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            var digits: UInt64 = 0
            var afterPoint = 0
            var seenPoint = false
            while i < range.upperBound {
                let c = raw[i]
                i += 1
                if c == UInt8(ascii: ".") {
                    seenPoint = true
                    continue
                }
                guard c >= 48, c <= 57 else { return nil }
                digits = digits * 10 + UInt64(c - 48)
                guard digits < 1 << 53 else { return nil }
                if seenPoint { afterPoint += 1 }
            }
            guard afterPoint < FlatJSON.powersOfTen.count else { return nil }
            let value = Double(digits) / FlatJSON.powersOfTen[afterPoint]
            return negative ? -value : value
        }

        /// A number written as a whole number (no fraction, no exponent), as JSONDecoder
        /// requires for integer fields.
        public var int: Int? { wholeNumber.flatMap { Int(exactly: $0) } }
        public var uint32: UInt32? { wholeNumber.flatMap { UInt32(exactly: $0) } }

        public var uint64: UInt64? {
            guard kind == .number, raw[range.lowerBound] != UInt8(ascii: "-") else { return nil }
            var value: UInt64 = 0
            for i in range {
                let c = raw[i]
                guard c >= 48, c <= 57 else { return nil }
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(c - 48))
                if o1 || o2 { return nil }
                value = sum
            }
            return value
        }

        public var uuid: UUID? {
            guard kind == .string else { return nil }
            if !escaped, let id = UUID(canonicalBytes: UnsafeRawBufferPointer(rebasing: raw[range])) { return id }
            return string.flatMap(UUID.init(uuidString:))
        }

        /// The members of a nested object, or nil.
        public var members: Members? {
            guard kind == .object else { return nil }
            var cursor = Cursor(raw: raw, index: range.lowerBound, end: range.upperBound)
            return cursor.readObjectMembers()
        }

        /// The value's JSON text (objects and arrays whole, strings with their quotes).
        public var jsonBytes: UnsafeRawBufferPointer {
            kind == .string
                ? UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound - 1)..<(range.upperBound + 1)])
                : UnsafeRawBufferPointer(rebasing: raw[range])
        }

        /// The numbers of an array of numbers, or nil.
        public var numbers: [Double]? {
            guard kind == .array else { return nil }
            var cursor = Cursor(raw: raw, index: range.lowerBound + 1, end: range.upperBound - 1)
            var result: [Double] = []
            cursor.skipSpace()
            if cursor.index == cursor.end { return result }
            while true {
                cursor.skipSpace()
                guard let value = cursor.readValue(depth: 1), value.kind == .number, let d = value.double else { return nil }
                result.append(d)
                cursor.skipSpace()
                if cursor.take(UInt8(ascii: ",")) { continue }
                return cursor.index == cursor.end ? result : nil
            }
        }

        private var wholeNumber: Int64? {
            guard kind == .number else { return nil }
            var i = range.lowerBound
            let negative = raw[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            var value: Int64 = 0
            while i < range.upperBound {
                let c = raw[i]
                guard c >= 48, c <= 57 else { return nil }
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(c - 48))
                if o1 || o2 { return nil }
                value = sum
                i += 1
            }
            return negative ? -value : value
        }
    }

    struct Cursor {
        let raw: UnsafeRawBufferPointer
        var index: Int
        let end: Int

        init(raw: UnsafeRawBufferPointer, index: Int = 0, end: Int? = nil) {
            self.raw = raw
            self.index = index
            self.end = end ?? raw.count
        }

        mutating func skipSpace() {
            while index < end {
                let c = raw[index]
                guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                index += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < end, raw[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func atEnd() -> Bool {
            skipSpace()
            return index == end
        }

        /// `{ "key": value, … }` at the top level.
        mutating func readObjectMembers() -> Members? {
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var entries: [(key: Range<Int>, value: Value)] = []
            entries.reserveCapacity(12)
            skipSpace()
            if take(UInt8(ascii: "}")) { return Members(raw: raw, entries: entries) }
            while true {
                skipSpace()
                guard let key = readString(), !key.escaped else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let value = readValue(depth: 1) else { return nil }
                entries.append((key.range, value))
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "}")) else { return nil }
                return Members(raw: raw, entries: entries)
            }
        }

        /// A string's content range (between the quotes), checking escapes.
        mutating func readString() -> (range: Range<Int>, escaped: Bool)? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            var escaped = false
            while index < end {
                let c = raw[index]
                if c == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return (start..<index, escaped)
                }
                if c < 0x20 { return nil }
                if c == UInt8(ascii: "\\") {
                    escaped = true
                    index += 1
                    guard index < end else { return nil }
                    switch raw[index] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        break
                    case UInt8(ascii: "u"):
                        guard index + 4 < end else { return nil }
                        for k in 1...4 where FlatJSON.hexValue(raw[index + k]) == nil { return nil }
                        index += 4
                    default:
                        return nil
                    }
                }
                index += 1
            }
            return nil
        }

        mutating func readValue(depth: Int) -> Value? {
            guard index < end, depth <= 32 else { return nil }
            let start = index
            switch raw[index] {
            case UInt8(ascii: "\""):
                guard let s = readString() else { return nil }
                return Value(kind: .string, raw: raw, range: s.range, escaped: s.escaped)
            case UInt8(ascii: "t"):
                return literal("true") ? Value(kind: .bool, raw: raw, range: start..<index, escaped: false) : nil
            case UInt8(ascii: "f"):
                return literal("false") ? Value(kind: .bool, raw: raw, range: start..<index, escaped: false) : nil
            case UInt8(ascii: "n"):
                return literal("null") ? Value(kind: .null, raw: raw, range: start..<index, escaped: false) : nil
            case UInt8(ascii: "{"):
                index += 1
                skipSpace()
                if !take(UInt8(ascii: "}")) {
                    while true {
                        skipSpace()
                        guard readString() != nil else { return nil }
                        skipSpace()
                        guard take(UInt8(ascii: ":")) else { return nil }
                        skipSpace()
                        guard readValue(depth: depth + 1) != nil else { return nil }
                        skipSpace()
                        if take(UInt8(ascii: ",")) { continue }
                        guard take(UInt8(ascii: "}")) else { return nil }
                        break
                    }
                }
                return Value(kind: .object, raw: raw, range: start..<index, escaped: false)
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                if !take(UInt8(ascii: "]")) {
                    while true {
                        skipSpace()
                        guard readValue(depth: depth + 1) != nil else { return nil }
                        skipSpace()
                        if take(UInt8(ascii: ",")) { continue }
                        guard take(UInt8(ascii: "]")) else { return nil }
                        break
                    }
                }
                return Value(kind: .array, raw: raw, range: start..<index, escaped: false)
            default:
                return readNumber()
            }
        }

        /// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        mutating func readNumber() -> Value? {
            let start = index
            _ = take(UInt8(ascii: "-"))
            guard index < end, isDigit(raw[index]) else { return nil }
            if raw[index] == UInt8(ascii: "0") { index += 1 } else { while index < end, isDigit(raw[index]) { index += 1 } }
            if take(UInt8(ascii: ".")) {
                guard index < end, isDigit(raw[index]) else { return nil }
                while index < end, isDigit(raw[index]) { index += 1 }
            }
            if index < end, raw[index] == UInt8(ascii: "e") || raw[index] == UInt8(ascii: "E") {
                index += 1
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard index < end, isDigit(raw[index]) else { return nil }
                while index < end, isDigit(raw[index]) { index += 1 }
            }
            return Value(kind: .number, raw: raw, range: start..<index, escaped: false)
        }

        private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard index + n <= end else { return false }
            for k in 0..<n where raw[index + k] != word.utf8Start[k] { return false }
            index += n
            return true
        }
    }

    /// UTF-8 bytes as a String, nil when they are not UTF-8. ASCII (source, type and person of
    /// every envelope we send) is checked in one pass; `String(validating:)`, which looks up
    /// generic metadata on every call, checks anything else.
    static func text(_ bytes: UnsafeRawBufferPointer) -> String? {
        for byte in bytes where byte >= 0x80 { return String(validating: bytes, as: UTF8.self) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 1e0 … 1e22, the powers of ten a double holds exactly.
    static let powersOfTen: [Double] = (0...22).map { (0..<$0).reduce(1.0) { acc, _ in acc * 10 } }

    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 48...57: UInt32(c - 48)
        case 65...70: UInt32(c - 55)
        case 97...102: UInt32(c - 87)
        default: nil
        }
    }

    /// A number's text to Double (the grammar was checked by the reader).
    static func strtod(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count < 64 else { return Double(String(decoding: bytes, as: UTF8.self)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> Double? in
            for k in 0..<bytes.count { buffer[k] = CChar(bitPattern: bytes[k]) }
            buffer[bytes.count] = 0
            let value = Foundation.strtod(buffer.baseAddress!, nil)
            return value.isFinite ? value : nil
        }
    }

    /// A string's content with its escapes resolved; nil for a lone surrogate.
    static func unescape(_ bytes: UnsafeRawBufferPointer) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 << 4 | (hexValue(bytes[at + $1]) ?? 0) }
        }
        while i < bytes.count {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return nil }
                    let low = hex4(i + 2)
                    guard (0xDC00..<0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let u = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: out.append(e)  // " \ /
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
