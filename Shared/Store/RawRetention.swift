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

    /// Bytes both databases take on disk.
    public var usedBytes: Int64 { database.databaseBytes + database.rawBytes }

    /// Purges what is too old, then the oldest frames while over budget (down to 95%).
    /// Returns the number of frames deleted.
    @discardableResult
    public func purge(now: Double = Date().timeIntervalSince1970) throws -> Int {
        let cutoff = now - retentionDays * 86_400
        var deleted = 0
        while true {
            let n = try database.raw.write { db -> Int in
                try db.execute(sql: """
                    DELETE FROM sensor_frame WHERE id IN (SELECT id FROM sensor_frame ORDER BY id LIMIT ?)
                      AND firstSampleTime < ?
                    """, arguments: [chunk, cutoff])
                return db.changesCount
            }
            deleted += n
            if n == 0 { break }
        }
        if deleted > 0 { compact() }
        var rounds = 0
        while usedBytes > budgetBytes, rounds < 10_000 {
            let target = Int64(Double(budgetBytes) * 0.95)
            var removedThisRound = 0
            while usedBytes > target {
                let n = try database.raw.write { db -> Int in
                    try db.execute(sql: "DELETE FROM sensor_frame WHERE id IN (SELECT id FROM sensor_frame ORDER BY id LIMIT ?)",
                                   arguments: [chunk])
                    return db.changesCount
                }
                if n == 0 { break }
                removedThisRound += n
                compact()
            }
            deleted += removedThisRound
            rounds += 1
            if removedThisRound == 0 { break }
        }
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
