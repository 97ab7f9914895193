import Foundation
import SpasmConfig
import SpasmErrors
import SpasmSync
import ZeroMQ

/// CURVE keys for `tcp://` endpoints (BRIEF §3: never plain TCP). Kept in the data home's
/// private `keys/` folder: the bus's server pair, one client pair per local service (named
/// after it: `sensor`, `manual`, `detect`, `store`, `notify`, `bus`, `cli`; the secret in
/// `keys/issued/NAME.secret`, 0600, the public key allowed as a service key in
/// `keys/allowed/services/NAME.public`), and the allowlist of client public keys by role
/// (`keys/allowed/{producers,consumers,services}/NAME.public`, see `KeyRole`) that the ZAP
/// handler checks. The key's name is what the service may speak for (`SourceBinding`).
public struct BusSecurity: Sendable {
    public var serverPublicKey: String
    public var clientPublicKey: String
    public var clientSecretKey: String
    /// Present only where the server secret is readable (the bus itself).
    public var serverSecretKey: String?
    /// The client key's name (the ZAP user id the bus and the producer endpoint see).
    public var keyName: String = SourceBinding.cliKey
    /// Set when this start made the service's own pair: what to log.
    public var note: String?

    /// Loads the home's keys and the client pair named `key`, creating whichever is missing.
    public static func load(home: DataHome, key: String = SourceBinding.cliKey) throws -> BusSecurity {
        try home.prepare()
        let dir = home.keyDirectory
        try FileManager.default.createDirectory(at: KeyAllowlist.directory(home: home, role: .service), withIntermediateDirectories: true)
        let server = try pair(named: "bus", in: dir)
        let own = try ownPair(named: key, home: home)
        var note: String?
        if own.made {
            let shared = FileManager.default.fileExists(atPath: dir.appendingPathComponent("client.secret").path)
            note =
                "made this service's own key '\(key)' (keys/allowed/services/\(key).public)"
                + (shared
                    ? "; the shared keys/client.* key is no longer used by it (it stays allowed as the service key 'local', which speaks only for source 'local')"
                    : "")
        }
        return BusSecurity(
            serverPublicKey: server.publicKey, clientPublicKey: own.publicKey, clientSecretKey: own.secretKey,
            serverSecretKey: server.secretKey, keyName: key, note: note)
    }

    /// The pair of one of our own services: its secret kept like an issued key's (0600), its
    /// public key allowed as a service key. Two processes starting at once (detect shards)
    /// agree: the secret is created with `link`, which only one of them wins.
    static func ownPair(named name: String, home: DataHome) throws -> (publicKey: String, secretKey: String, made: Bool) {
        try KeyAllowlist.checkName(name)
        let secretFile = KeyAllowlist.issuedSecret(home: home, name: name)
        let publicFile = KeyAllowlist.directory(home: home, role: .service).appendingPathComponent("\(name).public")
        func read(_ url: URL) -> String? {
            guard let text = try? String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                text.count == 40
            else { return nil }
            return text
        }
        var made = false
        if read(secretFile) == nil {
            let fresh = try CurveKeys.generate()
            let staged = secretFile.deletingLastPathComponent().appendingPathComponent(".\(name).secret.\(getpid()).new")
            try AtomicFile.write(Data(fresh.secretKey.utf8), to: staged, mode: 0o600)
            if link(staged.path, secretFile.path) == 0 {
                made = true
            } else if errno != EEXIST {
                let reason = String(cString: strerror(errno))
                unlink(staged.path)
                throw SpasmError(.key, "cannot create \(secretFile.path): \(reason)")
            }
            unlink(staged.path)
        }
        guard let secret = read(secretFile) else {
            throw SpasmError(.key, "\(secretFile.path) does not hold a CURVE secret key (40 Z85 characters)")
        }
        let publicKey = try CurveKeys.publicKey(forSecret: secret)
        if read(publicFile) != publicKey {
            try AtomicFile.write(Data(publicKey.utf8), to: publicFile, mode: 0o600)
        }
        return (publicKey, secret, made)
    }

    /// The bus's public key (what every client needs), made with the pair if missing.
    public static func serverPublicKey(home: DataHome) throws -> String {
        let file = home.keyDirectory.appendingPathComponent("bus.public")
        if let key = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), key.count == 40 {
            return key
        }
        try home.prepare()
        return try pair(named: "bus", in: home.keyDirectory).publicKey
    }

    private static func pair(named name: String, in dir: URL) throws -> (publicKey: String, secretKey: String) {
        let secretFile = dir.appendingPathComponent("\(name).secret")
        let publicFile = dir.appendingPathComponent("\(name).public")
        if let secret = try? String(contentsOf: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            secret.count == 40
        {
            return (try CurveKeys.publicKey(forSecret: secret), secret)
        }
        let keys = try CurveKeys.generate()
        // Write the secret with 0600 before it holds anything, then the public key.
        _ = FileManager.default.createFile(
            atPath: secretFile.path, contents: Data(keys.secretKey.utf8),
            attributes: [.posixPermissions: 0o600])
        try AtomicFile.write(keys.publicKey, to: publicFile)
        // Another process may have raced us: whatever is on disk now wins.
        let onDisk = try String(contentsOf: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return (try CurveKeys.publicKey(forSecret: onDisk), onDisk)
    }

    /// Applies the client side of CURVE to a socket that connects to the bus.
    public func secureClient(_ socket: ZMQSocket) throws {
        try socket.makeCurveClient(serverKey: serverPublicKey, publicKey: clientPublicKey, secretKey: clientSecretKey)
    }
}

/// How to reach the bus: endpoints plus CURVE keys when they are tcp.
public struct BusAddress: Sendable {
    public var publish: String
    public var subscribe: String
    public var security: BusSecurity?
    public var highWaterMark: Int
    public var maxMessageBytes: Int

    public init(
        publish: String, subscribe: String, security: BusSecurity? = nil, highWaterMark: Int = 200_000,
        maxMessageBytes: Int = 4 << 20
    ) {
        self.publish = publish
        self.subscribe = subscribe
        self.security = security
        self.highWaterMark = highWaterMark
        self.maxMessageBytes = maxMessageBytes
    }

    /// The address every service uses, from the home and its configuration.
    /// `key` names this process's own client key on tcp (`BusSecurity.load`).
    public static func resolve(home: DataHome, configuration: Configuration, key: String = SourceBinding.cliKey) throws -> BusAddress {
        let endpoints = Endpoints(home: home, configuration: configuration)
        return BusAddress(
            publish: endpoints.busPublish, subscribe: endpoints.busSubscribe,
            security: endpoints.usesCurve ? try BusSecurity.load(home: home, key: key) : nil,
            highWaterMark: configuration.bus.highWaterMark,
            maxMessageBytes: configuration.bus.maxMessageBytes)
    }
}
