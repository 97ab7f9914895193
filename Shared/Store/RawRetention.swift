import Foundation
import GRDB

/// Keeps raw sensor frames within their retention (days) and the disk budget (bytes, both
/// database files together): the oldest frames go first, in small transactions so the
/// writer is never held up for long. Per-minute summaries are never purged.
public struct RawRetention: Sendable {
    public let database: AppDatabase
    public let retentionDays: Double
    public let budgetBytes: Int64
    /// Frames deleted per transaction.
    public var chunk = 5000

    public init(database: AppDatabase, retentionDays: Double, budgetBytes: Int64) {
        self.database = database
        self.retentionDays = retentionDays
        self.budgetBytes = budgetBytes
    }

    /// Bytes of live data in both databases (pages in use; freed pages are reused or given
    /// back to the file system by `compact`).
    public var usedBytes: Int64 {
        func live(_ pool: any DatabaseWriter) -> Int64 {
            (try? pool.read { db -> Int64 in
                let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                let size = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                return (pages - free) * size
            }) ?? 0
        }
        return live(database.main) + live(database.raw)
    }

    /// Purges what is too old, then the oldest frames while over budget (down to 95%).
    /// Returns the number of frames deleted.
    @discardableResult
    public func purge(now: Double = Date().timeIntervalSince1970) throws -> Int {
        let cutoff = now - retentionDays * 86_400
        var deleted = 0
        while true {
            let n = try database.raw.write { db -> Int in
                try db.execute(
                    sql: """
                        DELETE FROM sensor_frame WHERE id IN (SELECT id FROM sensor_frame ORDER BY id LIMIT ?)
                          AND firstSampleTime < ?
                        """, arguments: [chunk, cutoff])
                return db.changesCount
            }
            deleted += n
            if n == 0 { break }
        }
        if usedBytes > budgetBytes {
            let target = Int64(Double(budgetBytes) * 0.95)
            while usedBytes > target {
                let n = try database.raw.write { db -> Int in
                    try db.execute(
                        sql: "DELETE FROM sensor_frame WHERE id IN (SELECT id FROM sensor_frame ORDER BY id LIMIT ?)",
                        arguments: [chunk])
                    return db.changesCount
                }
                if n == 0 { break }
                deleted += n
            }
        }
        if deleted > 0 { compact() }
        return deleted
    }

    /// Gives freed pages back to the file system (auto_vacuum = INCREMENTAL) and trims the WAL.
    func compact() {
        try? database.raw.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA incremental_vacuum")
            try db.checkpoint(.truncate)
        }
    }
}
