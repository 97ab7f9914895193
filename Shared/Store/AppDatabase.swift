import Foundation
import GRDB
import Logging
import SpasmDatabase

/// The store's SQLite databases (GRDB, WAL): `spasmwatch.sqlite` holds everything that is
/// kept for good (diary, sensors, episodes, alerts, acknowledgements, deliveries, service
/// health, per-minute sensor summaries); `spasmwatch-raw.sqlite` holds raw sensor frames,
/// kept a few days within the disk budget, and never backed up.
/// One process writes (spasmwatch-store); any number may read.
public final class AppDatabase: Sendable {
    /// The main database.
    public let main: any DatabaseWriter
    /// Raw sensor frames.
    public let raw: any DatabaseWriter
    public var url: URL { URL(fileURLWithPath: main.path) }
    public var rawURL: URL { URL(fileURLWithPath: raw.path) }

    /// The store in `main` and `raw`, their pending migrations run (tests pass two
    /// `DatabaseQueue()` in memory).
    public init(_ main: any DatabaseWriter, raw: any DatabaseWriter) throws {
        self.main = main
        self.raw = raw
        try StoreMigrations.main.migrate(main)
        try StoreMigrations.raw.migrate(raw)
    }

    /// Opens (creating when needed) both files: the one way the store, the benchmark and
    /// tests open them. When an existing database has migrations to run, a copy is taken
    /// first into `backups/`.
    public static func open(url: URL, logger: Logger? = nil) throws -> AppDatabase {
        let existed = FileManager.default.fileExists(atPath: url.path)
        // Migrated below, after the copy.
        let main = try openDatabase(url: url, migrator: nil, options: options)
        if try existed && main.read({ db in try !StoreMigrations.main.hasCompletedMigrations(db) }) {
            let backup = AppDatabase.backupDirectory(for: url)
                .appendingPathComponent("before-migration-\(AppDatabase.stamp()).sqlite")
            try backupDatabase(main, to: backup)
            logger?.notice("backup taken before migrating", metadata: ["file": "\(backup.path)"])
        }
        let raw = try openDatabase(url: rawURL(for: url), migrator: StoreMigrations.raw, options: options)
        return try AppDatabase(main, raw: raw)
    }

    /// A pool (the store writes while queries read), and for the writer:
    static let options = DatabaseOptions(
        // WAL + NORMAL: a commit survives a crash of the process (kill -9); FULL adds
        // safety against power loss, checkpoints are fsync'd either way.
        synchronous: .normal, busyTimeout: 10, concurrentReads: true,
        pragmas: [
            // Only takes effect on a new, empty file: lets purges give space back to the disk.
            "auto_vacuum = INCREMENTAL",
            // 32 MB of page cache: index pages of random ids (UUIDs) stay in memory.
            "cache_size = -32000",
            // Checkpoint every ~32 MB of WAL instead of 4 MB: fewer fsyncs under sensor load.
            "wal_autocheckpoint = 8000",
        ])

    public static func rawURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(url.deletingPathExtension().lastPathComponent + "-raw.sqlite")
    }

    public static func backupDirectory(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent("backups")
    }

    static func stamp(_ date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    /// Copies the main database to `file` through SQLite's online backup (safe while the
    /// store writes). Raw frames are not included.
    public func backup(to file: URL) throws {
        try backupDatabase(main, to: file)
    }

    /// Bytes on disk of a database file with its WAL.
    public static func fileBytes(_ url: URL) -> Int64 {
        var total: Int64 = 0
        for suffix in ["", "-wal"] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path + suffix)
            total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }

    public var databaseBytes: Int64 { AppDatabase.fileBytes(url) }
    public var rawBytes: Int64 { AppDatabase.fileBytes(rawURL) }

    /// "12.3 MB".
    public static func formatBytes(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
