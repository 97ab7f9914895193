import Foundation

/// Finds the first JSON syntax error in a text and says where, as a person editing the
/// file counts: "line 3, column 7: expected a value, found ','". Foundation's decoders
/// only say "not valid JSON" (or a byte offset), which is no help in an editor.
public enum JSONSyntax {
    /// nil when the text is valid JSON.
    public static func firstError(in data: Data) -> String? {
        var scanner = Scanner(bytes: Array(data))
        do {
            scanner.skipSpace()
            try scanner.value()
            scanner.skipSpace()
            if scanner.index < scanner.bytes.count { throw scanner.failure("expected the end of the file") }
            return nil
        } catch let error as Failure {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        /// "line 3, column 7: expected …, found 'x'" (columns count characters, from 1).
        func failure(_ expected: String) -> Failure {
            var line = 1, lineStart = 0
            for i in 0..<min(index, bytes.count) where bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            let column = String(decoding: bytes[lineStart..<min(index, bytes.count)], as: UTF8.self).count + 1
            let found: String
            if let current {
                let end = min(bytes.count, index + 4)
                let character = String(decoding: bytes[index..<end], as: UTF8.self).first.map(String.init) ?? "?"
                found = current == UInt8(ascii: "\n") ? "the end of the line" : "'\(character)'"
            } else {
                found = "the end of the file"
            }
            return Failure(description: "line \(line), column \(column): \(expected), found \(found)")
        }

        mutating func skipSpace() {
            while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 }
        }

        mutating func expect(_ c: Character, _ what: String) throws {
            guard current == c.asciiValue else { throw failure(what) }
            index += 1
        }

        mutating func value() throws {
            switch current {
            case UInt8(ascii: "{"): try object()
            case UInt8(ascii: "["): try array()
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case let c? where c == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c): try number()
            default: throw failure("expected a value (a string in \"double quotes\", a number, true, false, null, [ or {)")
            }
        }

        mutating func object() throws {
            index += 1
            skipSpace()
            if current == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipSpace()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a field name in \"double quotes\"") }
                try string()
                skipSpace()
                try expect(":", "expected ':' after the field name")
                skipSpace()
                try value()
                skipSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    skipSpace()
                    if current == UInt8(ascii: "}") { throw failure("expected another field after ',' (remove the last comma)") }
                    continue
                }
                try expect("}", "expected ',' or '}'")
                return
            }
        }

        mutating func array() throws {
            index += 1
            skipSpace()
            if current == UInt8(ascii: "]") { index += 1; return }
            while true {
                skipSpace()
                try value()
                skipSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    skipSpace()
                    if current == UInt8(ascii: "]") { throw failure("expected another value after ',' (remove the last comma)") }
                    continue
                }
                try expect("]", "expected ',' or ']'")
                return
            }
        }

        mutating func string() throws {
            index += 1
            while let c = current {
                switch c {
                case UInt8(ascii: "\""): index += 1; return
                case UInt8(ascii: "\\"): index += 2
                case 0x0A: throw failure("expected the closing '\"' of the string before the end of the line")
                default: index += 1
                }
            }
            throw failure("expected the closing '\"' of the string")
        }

        mutating func literal(_ word: String) throws {
            for c in word.utf8 {
                guard current == c else { throw failure("expected \(word)") }
                index += 1
            }
        }

        mutating func number() throws {
            let start = index
            while let c = current, "+-0123456789.eE".utf8.contains(c) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if Double(text) == nil {
                index = start
                throw failure("expected a number")
            }
        }
    }
}
