import Foundation
import GRDB
import SpasmDatabase
import SpasmSync

/// Frames accepted per sensor since the home began, in `data/sensor-counts.sqlite`, so they
/// survive restarts: `spasmwatch sensors` and `spasmwatch status` compare them with the
/// store's stored counts, and any difference is loss between ingestion and storage.
///
/// Counts are saved before producers hear "accepted" (`save`), one transaction per batch of
/// frames, so a kill -9 never forgets a frame it answered for. WAL + synchronous NORMAL: a
/// commit survives the process being killed.
final class AcceptedCounts: Sendable {
    let queue: any DatabaseWriter
    /// Frames accepted and not saved yet.
    private let pending = Locked<[String: Int64]>([:])

    static func url(dataDirectory: URL) -> URL { dataDirectory.appendingPathComponent("sensor-counts.sqlite") }

    /// Counts kept in `queue`, its table made when missing (tests pass `DatabaseQueue()`).
    init(_ queue: any DatabaseWriter) throws {
        self.queue = queue
        try Self.migrator.migrate(queue)
    }

    static func open(url: URL) throws -> AcceptedCounts {
        try AcceptedCounts(openDatabase(url: url, migrator: migrator, options: .init(synchronous: .normal)))
    }

    /// The schema; append-only.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 accepted frames") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sensor_accepted (
                        sensorId TEXT PRIMARY KEY NOT NULL,
                        frames INTEGER NOT NULL,
                        lastAcceptedAt REAL NOT NULL
                    ) WITHOUT ROWID
                    """)
        }
        return migrator
    }

    /// Notes one accepted frame (saved by the next `save`).
    func add(_ sensorId: String) {
        pending.withLock { $0[sensorId, default: 0] += 1 }
    }

    /// Saves every frame noted so far. Returns once they are committed, also when another
    /// thread's save took them (writes are serialized, and the taking happens inside one).
    func save(now: Double = Date().timeIntervalSince1970) throws {
        var taken: [String: Int64] = [:]
        do {
            try queue.write { db in
                taken = pending.withLock { p in
                    defer { p.removeAll(keepingCapacity: true) }
                    return p
                }
                let upsert = try db.cachedStatement(
                    sql: """
                        INSERT INTO sensor_accepted (sensorId, frames, lastAcceptedAt) VALUES (?, ?, ?)
                        ON CONFLICT(sensorId) DO UPDATE SET frames = frames + excluded.frames, lastAcceptedAt = excluded.lastAcceptedAt
                        """)
                for (id, n) in taken { try upsert.execute(arguments: [id, n, now]) }
            }
        } catch {
            // Not saved: keep them for the next try.
            pending.withLock { p in for (id, n) in taken { p[id, default: 0] += n } }
            throw error
        }
    }

    /// Every sensor's saved count (plus any not saved yet).
    func all() throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        try queue.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT sensorId, frames FROM sensor_accepted") {
                counts[row["sensorId"]] = row["frames"]
            }
        }
        for (id, n) in pending.withLock({ $0 }) { counts[id, default: 0] += n }
        return counts
    }
}
