import Foundation
import Logging
import SpasmConfig
import SpasmErrors
import SpasmSync
import ZeroMQ

/// What a CURVE client key may do on tcp (issue 12, point 7). Each role has its folder under
/// `<home>/keys/allowed/`; a key's name is its file name without `.public`.
public enum KeyRole: String, Sendable, CaseIterable, Codable {
    /// A device that sends frames: the producer endpoint only.
    case producer
    /// A reader of the bus (a phone, a dashboard): the bus's subscribe side only.
    case consumer
    /// One of our own services: both bus sides and the producer endpoint.
    case service

    public var folder: String { rawValue + "s" }

    /// The ZAP domains (one per server socket) this role may connect to.
    public var domains: Set<String> {
        switch self {
        case .producer: [ZAPDomain.producers]
        case .consumer: [ZAPDomain.busSubscribe]
        case .service: [ZAPDomain.busPublish, ZAPDomain.busSubscribe, ZAPDomain.producers]
        }
    }
}

/// The `ZMQ_ZAP_DOMAIN` of each CURVE server socket: the ZAP handler decides by domain.
public enum ZAPDomain {
    public static let busPublish = "bus-publish"
    public static let busSubscribe = "bus-subscribe"
    public static let producers = "producers"
}

/// One allowed key.
public struct AllowedKey: Sendable, Equatable {
    public var name: String
    public var role: KeyRole
    public var publicKey: String
    public var file: URL

    public init(name: String, role: KeyRole, publicKey: String, file: URL) {
        self.name = name
        self.role = role
        self.publicKey = publicKey
        self.file = file
    }
}

public enum KeyAllowlist {
    public static func directory(home: DataHome) -> URL { home.keyDirectory.appendingPathComponent("allowed") }

    public static func directory(home: DataHome, role: KeyRole) -> URL {
        directory(home: home).appendingPathComponent(role.folder)
    }

    /// Every allowed key, by role folder (files are re-read on each call).
    public static func keys(home: DataHome) -> [AllowedKey] {
        KeyRole.allCases.flatMap { role -> [AllowedKey] in
            let dir = directory(home: home, role: role)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return files.filter { $0.hasSuffix(".public") }.sorted().compactMap { file in
                let url = dir.appendingPathComponent(file)
                guard let key = try? String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                    key.count == 40
                else { return nil }
                return AllowedKey(name: String(file.dropLast(".public".count)), role: role, publicKey: key, file: url)
            }
        }
    }

    /// Makes the role folders and moves keys of the old flat layout (`allowed/NAME.public`)
    /// into `services/`, logging each move. Returns the names moved.
    @discardableResult
    public static func migrate(home: DataHome, logger: Logger) throws -> [String] {
        let fm = FileManager.default
        let allowed = directory(home: home)
        for role in KeyRole.allCases {
            try fm.createDirectory(
                at: directory(home: home, role: role), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
        let flat = ((try? fm.contentsOfDirectory(atPath: allowed.path)) ?? []).filter { $0.hasSuffix(".public") }.sorted()
        var moved: [String] = []
        for file in flat {
            let from = allowed.appendingPathComponent(file)
            let to = directory(home: home, role: .service).appendingPathComponent(file)
            if fm.fileExists(atPath: to.path) {
                logger.warning(
                    "a flat allowed key has the name of a service key; left in place, not allowed",
                    metadata: ["file": "\(from.path)", "service_key": "\(to.path)"])
                continue
            }
            do {
                try fm.moveItem(at: from, to: to)
            } catch {
                // Another service (bus and sensor both start a ZAP handler) may have moved it first.
                if fm.fileExists(atPath: to.path) && !fm.fileExists(atPath: from.path) { continue }
                logger.error(
                    "could not move a flat allowed key into services/; it is not allowed until moved",
                    metadata: ["file": "\(from.path)", "error": "\(error)"])
                continue
            }
            let name = String(file.dropLast(".public".count))
            logger.notice(
                "moved a flat allowed key into services/: it keeps its access as a service key (bus and producer endpoint)",
                metadata: ["key": "\(name)", "from": "\(from.path)", "to": "\(to.path)"])
            moved.append(name)
        }
        return moved
    }

    /// Where the secret of a key made by `keys new` is kept, for `keys show` (0600).
    public static func issuedSecret(home: DataHome, name: String) -> URL {
        home.keyDirectory.appendingPathComponent("issued").appendingPathComponent("\(name).secret")
    }

    /// A key name: 1–64 of letters, digits, `.`, `_`, `-`, not starting with `.`.
    public static func checkName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(name.count), !name.hasPrefix("."), name.allSatisfy(allowed.contains) else {
            throw SpasmError(.key, "key name '\(name)' is not allowed: use 1–64 letters, digits, '.', '_' or '-', not starting with '.'")
        }
    }

    /// Makes a key pair for a device or service, allows its public key in its role's folder and
    /// keeps its secret in `keys/issued/`. Refuses a name that is already taken. A producer key
    /// is bound to the sensor ids it may send (`sensors`, default: its own name).
    public static func issue(name: String, role: KeyRole, home: DataHome, sensors: [String] = []) throws -> (AllowedKey, secretKey: String) {
        try checkName(name)
        if let taken = keys(home: home).first(where: { $0.name == name }) {
            throw SpasmError(
                .key, "a key named '\(name)' already exists (\(taken.role.rawValue), \(taken.file.path)); revoke it first or choose another name")
        }
        if role != .producer && !sensors.isEmpty {
            throw SpasmError(.key, "--sensor binds a producer key's sensors; a \(role.rawValue) key has none (a service key may send any sensor id)")
        }
        for sensor in sensors { try checkSensorId(sensor) }
        let pair = try CurveKeys.generate()
        let secret = issuedSecret(home: home, name: name)
        try AtomicFile.write(Data(pair.secretKey.utf8), to: secret, mode: 0o600)
        if role == .producer {
            var bound: [String] = []
            for sensor in sensors.isEmpty ? [name] : sensors where !bound.contains(sensor) { bound.append(sensor) }
            try AtomicFile.write(bound.joined(separator: "\n") + "\n", to: sensorsFile(home: home, name: name), mode: 0o600)
        }
        let file = directory(home: home, role: role).appendingPathComponent("\(name).public")
        try AtomicFile.write(Data(pair.publicKey.utf8), to: file, mode: 0o600)
        return (AllowedKey(name: name, role: role, publicKey: pair.publicKey, file: file), pair.secretKey)
    }

    /// Beside a producer key's public file: the sensor ids it may send, one per line.
    public static func sensorsFile(home: DataHome, name: String) -> URL {
        directory(home: home, role: .producer).appendingPathComponent("\(name).sensors")
    }

    /// The sensor ids producer key `name` may send frames for: its `.sensors` file, or its own
    /// name when it has none (a key allowed by hand).
    public static func boundSensors(home: DataHome, name: String) -> [String] {
        guard let text = try? String(contentsOf: sensorsFile(home: home, name: name), encoding: .utf8) else { return [name] }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// What key `name` may send at the producer endpoint, looked up by its file: nil for any
    /// sensor id (a service key), else the bound ids ([] for a key no longer allowed).
    public static func producerBinding(home: DataHome, name: String) -> [String]? {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory(home: home, role: .producer).appendingPathComponent("\(name).public").path) {
            return boundSensors(home: home, name: name)
        }
        if fm.fileExists(atPath: directory(home: home, role: .service).appendingPathComponent("\(name).public").path) { return nil }
        return []
    }

    /// A sensor id as frames carry it: letters, digits, `.`, `_`, `-`, 1–64 characters.
    public static func checkSensorId(_ id: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(id.count), id.allSatisfy(allowed.contains) else {
            throw SpasmError(.key, "sensor id '\(id)' is not allowed: use letters, digits, '.', '_' or '-', 1–64 characters")
        }
    }

    /// Removes a key's public file (the ZAP handler refuses it from the next connection on)
    /// and its kept secret. Returns the key removed.
    public static func revoke(name: String, home: DataHome) throws -> AllowedKey {
        try checkName(name)
        guard let key = keys(home: home).first(where: { $0.name == name }) else {
            let known = keys(home: home).map(\.name).joined(separator: ", ")
            throw SpasmError(.key, "no key named '\(name)'; known: \(known.isEmpty ? "none" : known)")
        }
        try FileManager.default.removeItem(at: key.file)
        try? FileManager.default.removeItem(at: issuedSecret(home: home, name: name))
        if key.role == .producer { try? FileManager.default.removeItem(at: sensorsFile(home: home, name: name)) }
        return key
    }
}

extension SpasmError.Code {
    /// A key name, sensor id or key file that `keys new`, `keys revoke` or the bus refuses.
    public static let key = SpasmError.Code("key")
}
