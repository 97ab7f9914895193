import Foundation

extension FlatJSON {
    /// The first syntax error in a text, where a person editing the file counts: "line 3,
    /// column 7: expected a value, found ','"; nil when the text is one valid JSON value.
    /// It walks the text with FlatJSON's own readers for strings, numbers and literals.
    /// Foundation's parsers only say "around character 27" (and accept trailing commas).
    public static func syntaxError(in data: Data) -> String? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> String? in
            var walk = SyntaxWalk(cursor: Cursor(raw: raw))
            do throws(SyntaxFailure) {
                walk.cursor.skipSpace()
                try walk.value(depth: 0)
                walk.cursor.skipSpace()
                if walk.current != nil { throw walk.failure("expected the end of the file") }
                return nil
            } catch {
                return error.description
            }
        }
    }

    struct SyntaxFailure: Error, CustomStringConvertible {
        let description: String
    }

    struct SyntaxWalk {
        var cursor: Cursor

        var current: UInt8? { cursor.index < cursor.end ? cursor.raw[cursor.index] : nil }

        /// "line 3, column 7: expected …, found 'x'" (columns count characters, from 1).
        func failure(_ expected: String) -> SyntaxFailure {
            let bytes = cursor.raw
            let index = min(cursor.index, cursor.end)
            var line = 1
            var lineStart = 0
            for i in 0..<index where bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            let column = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<index]), as: UTF8.self).count + 1
            let found: String
            if let current {
                let end = min(cursor.end, index + 4)
                let character = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self).first.map(String.init) ?? "?"
                found = current == UInt8(ascii: "\n") ? "the end of the line" : "'\(character)'"
            } else {
                found = "the end of the file"
            }
            return SyntaxFailure(description: "line \(line), column \(column): \(expected), found \(found)")
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxFailure) {
            guard cursor.take(byte) else { throw failure(what) }
        }

        mutating func value(depth: Int) throws(SyntaxFailure) {
            guard depth < 512 else { throw failure("expected at most 512 levels of [ and {") }
            let start = cursor.index
            switch current {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): if !cursor.literal("true") { throw failure("expected true") }
            case UInt8(ascii: "f"): if !cursor.literal("false") { throw failure("expected false") }
            case UInt8(ascii: "n"): if !cursor.literal("null") { throw failure("expected null") }
            case let c? where c == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c):
                if cursor.readNumber() == nil {
                    cursor.index = start
                    throw failure("expected a number")
                }
            default: throw failure("expected a value (a string in \"double quotes\", a number, true, false, null, [ or {)")
            }
        }

        mutating func object(depth: Int) throws(SyntaxFailure) {
            cursor.index += 1
            cursor.skipSpace()
            if cursor.take(UInt8(ascii: "}")) { return }
            while true {
                cursor.skipSpace()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a field name in \"double quotes\"") }
                try string()
                cursor.skipSpace()
                try expect(UInt8(ascii: ":"), "expected ':' after the field name")
                cursor.skipSpace()
                try value(depth: depth + 1)
                cursor.skipSpace()
                if cursor.take(UInt8(ascii: ",")) {
                    cursor.skipSpace()
                    if current == UInt8(ascii: "}") { throw failure("expected another field after ',' (remove the last comma)") }
                    continue
                }
                try expect(UInt8(ascii: "}"), "expected ',' or '}'")
                return
            }
        }

        mutating func array(depth: Int) throws(SyntaxFailure) {
            cursor.index += 1
            cursor.skipSpace()
            if cursor.take(UInt8(ascii: "]")) { return }
            while true {
                cursor.skipSpace()
                try value(depth: depth + 1)
                cursor.skipSpace()
                if cursor.take(UInt8(ascii: ",")) {
                    cursor.skipSpace()
                    if current == UInt8(ascii: "]") { throw failure("expected another value after ',' (remove the last comma)") }
                    continue
                }
                try expect(UInt8(ascii: "]"), "expected ',' or ']'")
                return
            }
        }

        /// FlatJSON's string reader stops where the string breaks.
        mutating func string() throws(SyntaxFailure) {
            if cursor.readString() != nil { return }
            switch current {
            case nil: throw failure("expected the closing '\"' of the string")
            case UInt8(ascii: "\n"): throw failure("expected the closing '\"' of the string before the end of the line")
            case let c? where c < 0x20: throw failure("expected \\t, \\n or \\u00XX instead of a control character in the string")
            default: throw failure("expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX) after '\\'")
            }
        }
    }
}
