import Foundation

/// Where SpasmWatch keeps its data, logs, sockets and keys: `$SPASMWATCH_HOME`, else
/// `.spasmwatch/` in the working directory. The systemd units use `/var/lib/spasmwatch`.
public struct DataHome: Sendable, Equatable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// Resolves the home from the environment.
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> DataHome {
        if let path = environment["SPASMWATCH_HOME"], !path.isEmpty {
            return DataHome(root: URL(fileURLWithPath: path))
        }
        return DataHome(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".spasmwatch"))
    }

    public var configFile: URL { root.appendingPathComponent("config.json") }
    public var dataDirectory: URL { root.appendingPathComponent("data") }
    public var logDirectory: URL { root.appendingPathComponent("logs") }
    public var keyDirectory: URL { root.appendingPathComponent("keys") }
    public var database: URL { dataDirectory.appendingPathComponent("spasmwatch.sqlite") }
    /// The durable outbox of one sender.
    public func outbox(for source: String) -> URL { dataDirectory.appendingPathComponent("outbox-\(source).sqlite") }

    /// The private directory for ipc sockets: `<home>/run`, or a short directory under /tmp
    /// when a socket path would pass the 107-byte limit of Unix sockets.
    public var runDirectory: URL {
        let normal = root.appendingPathComponent("run")
        let longest = normal.appendingPathComponent("store-query.sock").path
        if longest.utf8.count <= 100 { return normal }
        var hash: UInt64 = 1469598103934665603
        for byte in root.path.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        return URL(fileURLWithPath: "/tmp/spasmwatch-\(getuid())-\(String(hash, radix: 36))")
    }

    /// Creates the home's folders; the run and key folders are private (0700), or shared
    /// with the home's group (0770) when `groupAccess` is set (the systemd install).
    public func prepare(groupAccess: Bool = false) throws {
        let fm = FileManager.default
        for dir in [root, dataDirectory, logDirectory] {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        let mode = groupAccess ? 0o770 : 0o700
        for dir in [runDirectory, keyDirectory] {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
            try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: dir.path)
        }
    }
}
