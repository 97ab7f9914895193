import Foundation

/// Where SpasmWatch keeps its data, logs, sockets and keys. In order: `$SPASMWATCH_HOME` (or
/// `--home`), then the installed home `/var/lib/spasmwatch` when it exists (`deploy/stack
/// install`), then the per-user default `$XDG_DATA_HOME/spasmwatch` (`~/.local/share/spasmwatch`).
/// Never the working directory: a command run from another folder must not start a home there.
public struct DataHome: Sendable, Equatable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// The home the systemd units use (`deploy/stack install`).
    public static let installedPath = "/var/lib/spasmwatch"

    /// How a home was chosen; only an explicit one may be created by a command line tool.
    public enum Origin: Sendable, Equatable {
        /// `$SPASMWATCH_HOME`.
        case environment
        /// `--home DIR`.
        case option
        /// `/var/lib/spasmwatch`, which exists.
        case installed
        /// `$XDG_DATA_HOME/spasmwatch`, else `~/.local/share/spasmwatch`.
        case perUser

        public var isExplicit: Bool { self == .environment || self == .option }

        /// "from $SPASMWATCH_HOME", "the installed home", …, for messages.
        public var description: String {
            switch self {
            case .environment: "from $SPASMWATCH_HOME"
            case .option: "from --home"
            case .installed: "the installed home"
            case .perUser: "the per-user default"
            }
        }
    }

    /// A home and how it was chosen.
    public struct Located: Sendable, Equatable {
        public let home: DataHome
        public let origin: Origin
    }

    /// Resolves the home from `--home` and the environment (see the type's comment).
    public static func locate(
        option: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        installed: String = installedPath
    ) -> Located {
        if let option, !option.isEmpty { return Located(home: DataHome(root: URL(fileURLWithPath: option)), origin: .option) }
        if let path = environment["SPASMWATCH_HOME"], !path.isEmpty {
            return Located(home: DataHome(root: URL(fileURLWithPath: path)), origin: .environment)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: installed, isDirectory: &isDirectory), isDirectory.boolValue {
            return Located(home: DataHome(root: URL(fileURLWithPath: installed)), origin: .installed)
        }
        return Located(home: perUser(environment: environment), origin: .perUser)
    }

    /// `$XDG_DATA_HOME/spasmwatch` (an absolute XDG_DATA_HOME only, as the XDG spec says),
    /// else `$HOME/.local/share/spasmwatch`.
    public static func perUser(environment: [String: String] = ProcessInfo.processInfo.environment) -> DataHome {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return DataHome(root: URL(fileURLWithPath: xdg).appendingPathComponent("spasmwatch"))
        }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return DataHome(root: URL(fileURLWithPath: user).appendingPathComponent(".local/share/spasmwatch"))
    }

    /// Resolves the home from the environment.
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> DataHome {
        locate(environment: environment).home
    }

    public var configFile: URL { root.appendingPathComponent("config.json") }
    public var dataDirectory: URL { root.appendingPathComponent("data") }
    public var logDirectory: URL { root.appendingPathComponent("logs") }
    public var keyDirectory: URL { root.appendingPathComponent("keys") }
    public var database: URL { dataDirectory.appendingPathComponent("spasmwatch.sqlite") }
    /// The durable outbox of one sender.
    public func outbox(for source: String) -> URL { dataDirectory.appendingPathComponent("outbox-\(source).sqlite") }

    /// Creates the home's folders; the key folder is private (0700), or shared with the
    /// home's group (0770) when `groupAccess` is set (the systemd install). The run directory
    /// is the services' (`prepareRunDirectory`).
    public func prepare(groupAccess: Bool = false) throws {
        let fm = FileManager.default
        for dir in [root, dataDirectory, logDirectory] {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        let mode = groupAccess ? 0o770 : 0o700
        try fm.createDirectory(at: keyDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: keyDirectory.path)
    }
}
