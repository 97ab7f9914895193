import Foundation
import SpasmErrors

extension ConfigurationLoader {
    /// Every setting's key, as `--set` and `spasmwatch config get` take it (`bus.highWaterMark`), sorted.
    public static var knownKeys: [String] {
        // Encoding the defaults cannot fail: every field of Configuration has one.
        leafPaths((try? jsonObject(Configuration())) ?? [:]).map { $0.joined(separator: ".") }
    }

    /// One setting's value in `configuration` (already loaded: defaults, then the config file,
    /// then SPASMWATCH_* variables, then --set), as text: a string as it is, a number or
    /// true/false as JSON writes it, a list comma-separated (as `--set` takes it).
    /// An unknown key, or a section rather than a setting, throws a `.configuration` `SpasmError` that
    /// lists the known keys.
    public static func value(of key: String, in configuration: Configuration) throws(SpasmError) -> String {
        let unknown = SpasmError(.configuration, "unknown setting '\(key)'; known: \(knownKeys.joined(separator: ", "))")
        guard let data = try? JSONEncoder().encode(configuration),
            var node = try? JSONDecoder().decode(SettingValue.self, from: data)
        else { throw unknown }
        for component in key.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .section(let children) = node, let child = children[String(component)] else { throw unknown }
            node = child
        }
        guard let text = node.text else { throw unknown }
        return text
    }
}

/// A setting's encoded value, read back from JSON without losing whether it was a number,
/// a boolean or a string.
private indirect enum SettingValue: Decodable {
    case section([String: SettingValue])
    case list([SettingValue])
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case null

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let b = try? single.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? single.decode(Int.self) {
            self = .integer(i)
        } else if let d = try? single.decode(Double.self) {
            self = .number(d)
        } else if let s = try? single.decode(String.self) {
            self = .string(s)
        } else if let l = try? single.decode([SettingValue].self) {
            self = .list(l)
        } else {
            self = .section(try single.decode([String: SettingValue].self))
        }
    }

    /// Nil for a section: it is not one setting.
    var text: String? {
        switch self {
        case .section: nil
        case .list(let items): items.compactMap(\.text).joined(separator: ",")
        case .bool(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .number(let d): String(d)
        case .string(let s): s
        case .null: ""
        }
    }
}
