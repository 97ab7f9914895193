import ArgumentParser
import Foundation
import Logging
import SpasmConfig
import SpasmErrors

/// Flags every SpasmWatch executable accepts.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: "Data home (default: $SPASMWATCH_HOME, else /var/lib/spasmwatch if installed, else ~/.local/share/spasmwatch).")
    public var home: String?

    @Option(name: .customLong("set"), help: "Override a setting, e.g. --set bus.highWaterMark=50000 (repeatable).")
    public var overrides: [String] = []

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: String = "info"

    public init() {}

    /// The data home these options point at.
    public func dataHome() -> DataHome { locateHome().home }

    /// The data home and how it was chosen (`--home`, `$SPASMWATCH_HOME`, installed, per-user).
    public func locateHome() -> DataHome.Located { DataHome.locate(option: home) }

    /// Home and configuration; a bad setting throws a `.configuration` `SpasmError` naming it (a
    /// service exits 2 with it, the CLI prints it).
    /// Sets the umask first (owner-only, or owner and group with `bus.groupAccess`), so
    /// nothing this process writes is readable by other local users.
    public func load() throws -> (DataHome, Configuration) {
        FileModes.applyUmask(groupAccess: false)
        let home = dataHome()
        let configuration = try ConfigurationLoader.load(home: home, overrides: overrides)
        FileModes.applyUmask(groupAccess: configuration.bus.groupAccess)
        return (home, configuration)
    }

    /// `--log-level` as a level; an unknown name is a setting error naming the allowed ones.
    public func logLevelSetting() throws(SpasmError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw SpasmError(
                .configuration,
                "--log-level '\(logLevel)' is not a log level; allowed are \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }
}

/// Logging for executables (libraries never bootstrap logging): one line per event on
/// stderr with structured metadata, which deploy/stack redirects into `<home>/logs/`.
public enum LoggingSetup {
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// The version every service reports in its heartbeat.
public enum SpasmWatchVersion {
    public static let string = "0.1.0"
}
