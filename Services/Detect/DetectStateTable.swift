import Foundation
import GRDB
import Logging

/// What detection learned and must keep across restarts (each sensor's sensitivity, the
/// flare-up model), in the detector's own SQLite file beside its open episodes: table
/// `detect_state`, one row per part (JSON), replaced in one transaction. No temporary files
/// (the JSON files an earlier version rewrote with `.atomic` left a `/tmp/TemporaryDirectory.*`
/// behind on every save), and a kill mid-save keeps the previous row.
final class DetectStateTable: Sendable {
    let database: any DatabaseWriter

    init(database: any DatabaseWriter) { self.database = database }

    /// The migration that makes the table (registered by the file's owner, OpenEpisodeLog).
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE detect_state (
                    name TEXT PRIMARY KEY NOT NULL,
                    -- The part's state as JSON (SensitivityStore.State, FlareUpModel).
                    state BLOB NOT NULL,
                    savedAt REAL NOT NULL
                )
                """)
    }

    /// The saved state named `name`, if any and readable.
    func load<Value: Decodable>(_ name: String, as type: Value.Type) -> Value? {
        let data = try? database.read { db in
            try Data.fetchOne(db, sql: "SELECT state FROM detect_state WHERE name = ?", arguments: [name])
        }
        return data.flatMap { try? JSONDecoder().decode(type, from: $0) }
    }

    func save<Value: Encodable>(_ name: String, _ value: Value) throws {
        let data = try JSONEncoder().encode(value)
        try database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO detect_state (name, state, savedAt) VALUES (?, ?, ?)",
                arguments: [name, data, Date().timeIntervalSince1970])
        }
    }

    /// The state named `name`; the first time, taken from the JSON file an earlier version
    /// kept (which is then removed), so an upgrade keeps what was learned.
    func load<Value: Codable>(_ name: String, as type: Value.Type, adopting legacyFile: URL?, logger: Logger) -> Value? {
        if let saved = load(name, as: type) { return saved }
        guard let legacyFile, let data = try? Data(contentsOf: legacyFile) else { return nil }
        guard let value = try? JSONDecoder().decode(type, from: data) else {
            logger.warning("an earlier state file is unreadable; left as it is", metadata: ["file": "\(legacyFile.path)"])
            return nil
        }
        do {
            try save(name, value)
            try FileManager.default.removeItem(at: legacyFile)
            logger.notice("moved detection state into the database", metadata: ["from": "\(legacyFile.path)", "part": "\(name)"])
        } catch {
            logger.error("cannot move detection state into the database", metadata: ["file": "\(legacyFile.path)", "error": "\(error)"])
        }
        return value
    }
}
