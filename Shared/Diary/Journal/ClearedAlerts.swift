import Foundation
import GRDB

/// The alerts a person cleared from the phone page ("Clear all" on the routine line), kept so
/// they stay cleared after a restart (the page's lists are filled from storage on start).
/// Clearing tells nobody and changes nothing in storage: the alerts stay in the history.
/// Kept for two days of the alerts' own time, longer than storage's fill looks back.
extension DiaryJournal {
    static let clearedAlertsKept: Double = 2 * 86_400

    static func createClearedAlerts(_ db: Database) throws {
        try db.create(table: "clearedAlerts") { t in
            t.primaryKey("id", .text)  // lower-case UUID
            t.column("at", .double).notNull().indexed()  // the alert's time
            t.column("clearedAt", .double).notNull()
        }
    }

    /// Notes `alerts` (id, the alert's time) as cleared; forgets those older than two days.
    public func clear(alerts: [(id: UUID, at: Double)], now: Double = Date().timeIntervalSince1970) async throws {
        try await database.write { db in
            for alert in alerts {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO clearedAlerts (id, at, clearedAt) VALUES (?, ?, ?)",
                    arguments: [Self.key(alert.id), alert.at, now])
            }
            try db.execute(sql: "DELETE FROM clearedAlerts WHERE at < ?", arguments: [now - Self.clearedAlertsKept])
        }
    }

    /// The alerts cleared (of the last two days), with their times.
    public func clearedAlerts(now: Double = Date().timeIntervalSince1970) async throws -> [UUID: Double] {
        try await database.read { db in
            let rows = try GRDB.Row.fetchAll(db, sql: "SELECT id, at FROM clearedAlerts WHERE at >= ?", arguments: [now - Self.clearedAlertsKept])
            var cleared: [UUID: Double] = [:]
            for row in rows {
                if let id = UUID(uuidString: row["id"]) { cleared[id] = row["at"] }
            }
            return cleared
        }
    }
}
