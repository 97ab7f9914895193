import Foundation

/// What is wrong with text a decoder refused as "not valid JSON", in words: the byte that is
/// not UTF-8, where the syntax breaks (JSONSerialization's reason: end of file, nesting
/// deeper than 512), or, for valid JSON, the number that does not fit a whole-number field
/// (JSONDecoder reports that too as "not valid JSON", without the field). Called on refusal
/// paths only; linear in the text, nesting bounded by JSONSerialization's 512 levels.
public enum JSONTextProblem {
    /// Why `json` is not JSON at all, or nil when it is.
    public static func syntax(_ json: Data) -> String? {
        if let offset = invalidUTF8Offset(json) { return "byte \(offset) is not valid UTF-8 (JSON text must be UTF-8)" }
        do {
            _ = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
            return nil
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return reason ?? "\(error)"
        }
    }

    /// For a decoder's "not valid JSON": the syntax problem, else the numbers that are not
    /// whole (or beyond ±9.2e18) where the decoder wanted an integer; nil when neither.
    public static func describe(_ json: Data) -> String? {
        if let problem = syntax(json) { return "not valid JSON: \(problem)" }
        guard let object = try? JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed]) else { return nil }
        var found: [(path: String, value: String)] = []
        collectNonIntegers(object, path: "", into: &found)
        found.sort { $0.path < $1.path }
        guard let first = found.first else { return nil }
        if found.count == 1 {
            return "field '\(first.path)' is \(first.value), not a whole number (within ±9.2e18) as this field needs"
        }
        let list = found.prefix(5).map { "'\($0.path)' is \($0.value)" }.joined(separator: ", ")
        return "one of these fields needs a whole number (within ±9.2e18): \(list)"
    }

    static func collectNonIntegers(_ value: Any, path: String, into found: inout [(path: String, value: String)]) {
        if let dictionary = value as? [String: Any] {
            for (key, item) in dictionary { collectNonIntegers(item, path: path.isEmpty ? key : "\(path).\(key)", into: &found) }
        } else if let array = value as? [Any] {
            for (index, item) in array.enumerated() { collectNonIntegers(item, path: "\(path)[\(index)]", into: &found) }
        } else if let number = value as? NSNumber, !(value is Bool) {
            let d = number.doubleValue
            if d != d.rounded() || abs(d) >= 9.2e18 { found.append((path, "\(d)")) }
        }
    }

    /// The offset of the first byte that is not UTF-8, or nil.
    static func invalidUTF8Offset(_ json: Data) -> Int? {
        var decoder = UTF8()
        var iterator = json.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
