import Foundation

/// Finds a number JSON cannot carry: `NaN` and `Infinity` (words some encoders write,
/// which are not JSON) and literals such as `1e309` that overflow a Double. The decoders
/// refuse such text with a generic "not valid JSON" or turn it into infinity; this names
/// the field instead. Linear in the text, called on refusal paths and for small requests.
public enum NonFiniteNumbers {
    public struct Finding: Equatable, Sendable {
        /// Where it is: `from`, `spasm.pain`, `samples[3]`.
        public var field: String
        /// As written: `NaN`, `-Infinity`, `1e309`.
        public var text: String

        public init(field: String, text: String) {
            self.field = field
            self.text = text
        }

        /// "field 'from' is 1e309, not a finite number (…)"; "the JSON text has 1e309, …" when
        /// it stands outside any object or array (`field` is then empty).
        public var message: String {
            (field.isEmpty ? "the JSON text has \(text)" : "field '\(field)' is \(text)")
                + ", not a finite number (JSON numbers must be finite: no NaN, Infinity or magnitudes beyond 1.8e308)"
        }
    }

    /// The first non-finite number in `json`, or nil. Tolerant: it reads malformed text as far
    /// as it can, since it is asked exactly when a decoder refused.
    public static func first(in json: Data) -> Finding? {
        enum Level { case object(key: String?), array(index: Int) }
        var stack: [Level] = []
        func path() -> String {
            var out = ""
            for level in stack {
                switch level {
                case .object(let key): out += (out.isEmpty ? "" : ".") + (key ?? "?")
                case .array(let index): out += "[\(index)]"
                }
            }
            return out
        }
        return json.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Finding? in
            var i = 0
            let n = raw.count
            while i < n {
                let c = raw[i]
                switch c {
                case UInt8(ascii: "{"):
                    stack.append(.object(key: nil))
                    i += 1
                case UInt8(ascii: "["):
                    stack.append(.array(index: 0))
                    i += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if !stack.isEmpty { stack.removeLast() }
                    i += 1
                case UInt8(ascii: ","):
                    switch stack.last {
                    case .array(let index): stack[stack.count - 1] = .array(index: index + 1)
                    case .object: stack[stack.count - 1] = .object(key: nil)
                    case nil: break
                    }
                    i += 1
                case UInt8(ascii: "\""):
                    var j = i + 1
                    while j < n, raw[j] != UInt8(ascii: "\"") { j += raw[j] == UInt8(ascii: "\\") ? 2 : 1 }
                    if case .object(nil) = stack.last {
                        let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(i + 1)..<min(j, n)]), as: UTF8.self)
                        stack[stack.count - 1] = .object(key: text)
                    }
                    i = j + 1
                case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                    var j = i
                    while j < n, isTokenByte(raw[j]) { j += 1 }
                    let token = String(decoding: UnsafeRawBufferPointer(rebasing: raw[i..<j]), as: UTF8.self)
                    if token != "true" && token != "false" && token != "null", let value = Double(token), !value.isFinite {
                        return Finding(field: path(), text: token)
                    }
                    i = j
                default: i += 1
                }
            }
            return nil
        }
    }

    private static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            true
        default: false
        }
    }
}
