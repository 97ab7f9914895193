import Foundation
import SpasmSync
import SpasmConfig
import ZeroMQ

/// CURVE keys for `tcp://` endpoints (BRIEF §3: never plain TCP). Kept in the data home's
/// private `keys/` folder: the bus's server pair, this machine's client pair, and an
/// allowlist of client public keys by role (`keys/allowed/{producers,consumers,services}/NAME.public`,
/// see `KeyRole`) that the ZAP handler checks.
public struct BusSecurity: Sendable {
    public var serverPublicKey: String
    public var clientPublicKey: String
    public var clientSecretKey: String
    /// Present only where the server secret is readable (the bus itself).
    public var serverSecretKey: String?

    /// Loads the home's keys, creating any that are missing (and allowing the local client).
    public static func load(home: DataHome) throws -> BusSecurity {
        try home.prepare()
        let dir = home.keyDirectory
        let allowed = KeyAllowlist.directory(home: home, role: .service)
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        let server = try pair(named: "bus", in: dir)
        let client = try pair(named: "client", in: dir)
        let localAllowed = allowed.appendingPathComponent("local.public")
        if !FileManager.default.fileExists(atPath: localAllowed.path) {
            try AtomicFile.write(client.publicKey, to: localAllowed)
        }
        return BusSecurity(serverPublicKey: server.publicKey, clientPublicKey: client.publicKey,
                           clientSecretKey: client.secretKey, serverSecretKey: server.secretKey)
    }

    /// The bus's public key (what every client needs), made with the pair if missing.
    public static func serverPublicKey(home: DataHome) throws -> String {
        let file = home.keyDirectory.appendingPathComponent("bus.public")
        if let key = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), key.count == 40 {
            return key
        }
        return try load(home: home).serverPublicKey
    }

    private static func pair(named name: String, in dir: URL) throws -> (publicKey: String, secretKey: String) {
        let secretFile = dir.appendingPathComponent("\(name).secret")
        let publicFile = dir.appendingPathComponent("\(name).public")
        if let secret = try? String(contentsOf: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           secret.count == 40 {
            return (try CurveKeys.publicKey(forSecret: secret), secret)
        }
        let keys = try CurveKeys.generate()
        // Write the secret with 0600 before it holds anything, then the public key.
        _ = FileManager.default.createFile(atPath: secretFile.path, contents: Data(keys.secretKey.utf8),
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

    public init(publish: String, subscribe: String, security: BusSecurity? = nil, highWaterMark: Int = 200_000,
                maxMessageBytes: Int = 4 << 20) {
        self.publish = publish
        self.subscribe = subscribe
        self.security = security
        self.highWaterMark = highWaterMark
        self.maxMessageBytes = maxMessageBytes
    }

    /// The address every service uses, from the home and its configuration.
    public static func resolve(home: DataHome, configuration: Configuration) throws -> BusAddress {
        let endpoints = Endpoints(home: home, configuration: configuration)
        return BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe,
                          security: endpoints.usesCurve ? try BusSecurity.load(home: home) : nil,
                          highWaterMark: configuration.bus.highWaterMark,
                          maxMessageBytes: configuration.bus.maxMessageBytes)
    }
}
