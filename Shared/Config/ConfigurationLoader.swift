import Foundation
import SpasmErrors

extension SpasmError.Code {
    /// Why a configuration could not be loaded: a setting this machine cannot run with. Every
    /// service stops on a setting problem the same way (one critical line, exit 2), and the CLI too.
    public static let configuration = SpasmError.Code("configuration", settingProblem: true)
}

/// Builds a `Configuration` from defaults, the config file, the environment and `--set` flags.
public enum ConfigurationLoader {
    /// Loads the configuration for a data home.
    public static func load(
        home: DataHome, environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String] = []
    ) throws -> Configuration {
        var tree = try jsonObject(Configuration())
        let file = environment["SPASMWATCH_CONFIG"].map { URL(fileURLWithPath: $0) } ?? home.configFile
        if FileManager.default.fileExists(atPath: file.path) {
            let data = try Data(contentsOf: file)
            guard let fileTree = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw SpasmError(.configuration, "\(file.path) is not a JSON object")
            }
            try merge(&tree, fileTree, path: [], origin: file.path)
        }
        for path in leafPaths(tree) {
            let name = environmentName(path)
            if let text = environment[name] {
                try set(&tree, path: path, text: text, origin: name)
            }
        }
        for override in overrides {
            guard let eq = override.firstIndex(of: "=") else {
                throw SpasmError(.configuration, "--set \(override): expected KEY=VALUE, e.g. bus.highWaterMark=50000")
            }
            let key = String(override[..<eq])
            let value = String(override[override.index(after: eq)...])
            let path = key.split(separator: ".").map(String.init)
            guard leafPaths(tree).contains(path) else {
                throw SpasmError(
                    .configuration,
                    "--set \(key): unknown setting; known: \(leafPaths(tree).map { $0.joined(separator: ".") }.joined(separator: ", "))")
            }
            try set(&tree, path: path, text: value, origin: "--set \(key)")
        }
        let data = try JSONSerialization.data(withJSONObject: tree)
        let configuration: Configuration
        do {
            configuration = try JSONDecoder().decode(Configuration.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            // A typed setting's own sentence (timeZone, bus.transport).
            throw SpasmError(.configuration, context.debugDescription)
        } catch {
            throw SpasmError(.configuration, "configuration: \(error)")
        }
        try SettingsCheck.check(configuration)
        return configuration
    }

    /// `bus.highWaterMark` → `SPASMWATCH_BUS_HIGH_WATER_MARK`.
    public static func environmentName(_ path: [String]) -> String {
        "SPASMWATCH_"
            + path.map { component in
                var out = ""
                for ch in component {
                    if ch.isUppercase { out += "_" }
                    out += ch.uppercased()
                }
                return out
            }.joined(separator: "_")
    }

    static func jsonObject(_ config: Configuration) throws -> [String: Any] {
        let data = try JSONEncoder().encode(config)
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func leafPaths(_ tree: [String: Any], prefix: [String] = []) -> [[String]] {
        tree.keys.sorted().flatMap { key -> [[String]] in
            if let sub = tree[key] as? [String: Any] { return leafPaths(sub, prefix: prefix + [key]) }
            return [prefix + [key]]
        }
    }

    static func merge(_ tree: inout [String: Any], _ other: [String: Any], path: [String], origin: String) throws {
        for (key, value) in other {
            guard let existing = tree[key] else {
                throw SpasmError(.configuration, "\(origin): unknown setting '\((path + [key]).joined(separator: "."))'")
            }
            if var sub = existing as? [String: Any], let otherSub = value as? [String: Any] {
                try merge(&sub, otherSub, path: path + [key], origin: origin)
                tree[key] = sub
            } else {
                tree[key] = value
            }
        }
    }

    static func set(_ tree: inout [String: Any], path: [String], text: String, origin: String) throws {
        guard let head = path.first else { return }
        if path.count == 1 {
            let current = tree[head]
            let value: Any
            switch current {
            case is String: value = text
            case is NSNumber:
                if let b = Bool(text.lowercased()) {
                    value = b
                } else if let i = Int(text) {
                    value = i
                } else if let d = Double(text) {
                    value = d
                } else {
                    throw SpasmError(.configuration, "\(origin): '\(text)' is not a number")
                }
            case is [Any]:
                value = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            default:
                value = text
            }
            tree[head] = value
            return
        }
        var sub = tree[head] as? [String: Any] ?? [:]
        try set(&sub, path: Array(path.dropFirst()), text: text, origin: origin)
        tree[head] = sub
    }
}
