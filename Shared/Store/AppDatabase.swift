import Foundation
import GRDB
import Logging

/// The store's SQLite databases (GRDB, WAL): `spasmwatch.sqlite` holds everything that is
/// kept for good (diary, sensors, episodes, alerts, acknowledgements, deliveries, service
/// health, per-minute sensor summaries); `spasmwatch-raw.sqlite` holds raw sensor frames,
/// kept a few days within the disk budget, and never backed up.
/// One process writes (spasmwatch-store); any number may read.
public final class AppDatabase: Sendable {
    /// The main database.
    public let pool: DatabasePool
    /// Raw sensor frames.
    public let raw: DatabasePool
    public let url: URL
    public let rawURL: URL

    /// Opens (creating when needed) both databases and runs pending migrations. When an
    /// existing database has migrations to run, a copy is taken first into `backups/`.
    public init(url: URL, readOnly: Bool = false, logger: Logger? = nil) throws {
        self.url = url
        rawURL = AppDatabase.rawURL(for: url)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let existed = FileManager.default.fileExists(atPath: url.path)
        pool = try DatabasePool(path: url.path, configuration: AppDatabase.configuration(readOnly: readOnly))
        raw = try DatabasePool(path: rawURL.path, configuration: AppDatabase.configuration(readOnly: readOnly))
        if readOnly { return }
        let migrator = StoreMigrations.main
        let pending = try pool.read { db in try !migrator.hasCompletedMigrations(db) }
        if existed && pending {
            let backup = AppDatabase.backupDirectory(for: url)
                .appendingPathComponent("before-migration-\(AppDatabase.stamp()).sqlite")
            try self.backup(to: backup)
            logger?.notice("backup taken before migrating", metadata: ["file": "\(backup.path)"])
        }
        try migrator.migrate(pool)
        try StoreMigrations.raw.migrate(raw)
    }

    static func configuration(readOnly: Bool) -> GRDB.Configuration {
        var configuration = GRDB.Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            if !db.configuration.readonly {
                // Only takes effect on a new, empty file: lets purges give space back to the disk.
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                // WAL + NORMAL: a commit survives a crash of the process (kill -9); FULL adds
                // safety against power loss, checkpoints are fsync'd either way.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // 32 MB of page cache: index pages of random ids (UUIDs) stay in memory.
                try db.execute(sql: "PRAGMA cache_size = -32000")
                // Checkpoint every ~32 MB of WAL instead of 4 MB: fewer fsyncs under sensor load.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 8000")
            }
        }
        return configuration
    }

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
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: file.path) { try FileManager.default.removeItem(at: file) }
        let destination = try DatabaseQueue(path: file.path)
        try pool.backup(to: destination)
        try destination.close()
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
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
