import Foundation
import GRDB
import Logging
import SpasmDatabase
import SpasmSchema

/// The episodes this detector instance has open, on disk (SQLite, one file per instance:
/// `<data>/<instance>-open-episodes.sqlite`, so each `--shard` instance closes only its own).
/// A row is written at onset, its sensor's last frame time is refreshed every few seconds,
/// and the row goes once the end is in the outbox. After a crash or a kill, the next start
/// finds what was left open and ends it as interrupted (`EpisodeEvent.interrupted`), at the
/// time the sensor was last seen: nothing stays "ongoing" for ever, and it needs no storage
/// (the end waits in the outbox while storage is down).
final class OpenEpisodeLog: Sendable {
    let database: any DatabaseWriter
    /// Detection's learned state, in the same file (DetectStateTable).
    let state: DetectStateTable

    /// The log in `database`, its tables made when missing (tests pass `DatabaseQueue()`).
    init(_ database: any DatabaseWriter) throws {
        self.database = database
        try Self.migrator.migrate(database)
        state = DetectStateTable(database: database)
    }

    /// WAL with synchronous=NORMAL survives the process being killed (what this is for);
    /// a power cut may lose the last onset, which then stays open in storage as before.
    static func open(url: URL) throws -> OpenEpisodeLog {
        try OpenEpisodeLog(openDatabase(url: url, migrator: migrator, options: .init(synchronous: .normal)))
    }

    /// The schema. Append-only: a shipped migration is never edited.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 open episodes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE open_episode (
                        episodeId TEXT PRIMARY KEY NOT NULL,
                        sensorId TEXT NOT NULL,
                        -- The onset as published (EpisodeEvent JSON).
                        onset BLOB NOT NULL,
                        -- The end of the last frame seen from the sensor, Unix seconds.
                        lastSeen REAL NOT NULL
                    );
                    CREATE INDEX open_episode_sensor ON open_episode(sensorId);
                    """)
        }
        migrator.registerMigration("v2 detect state", migrate: DetectStateTable.migrate)
        return migrator
    }

    /// Opens the log; a file that cannot be opened is moved aside (`.broken-<time>`) and a
    /// fresh one started, so a damaged file never keeps detection from running.
    static func openOrReset(url: URL, logger: Logger) throws -> OpenEpisodeLog {
        do {
            return try OpenEpisodeLog.open(url: url)
        } catch {
            let aside = url.appendingPathExtension("broken-\(Int(Date().timeIntervalSince1970))")
            logger.error(
                "open-episode log unreadable; starting a fresh one (episodes it held stay open in storage)",
                metadata: ["file": "\(url.path)", "movedTo": "\(aside.lastPathComponent)", "error": "\(error)"])
            for suffix in ["", "-wal", "-shm"] {
                let file = URL(fileURLWithPath: url.path + suffix)
                if FileManager.default.fileExists(atPath: file.path) {
                    try? FileManager.default.moveItem(at: file, to: URL(fileURLWithPath: aside.path + suffix))
                }
            }
            return try OpenEpisodeLog.open(url: url)
        }
    }

    /// Notes an onset (before it is sent), last seen at its detection time.
    func opened(_ onset: EpisodeEvent) async throws {
        let json = try WireCodec.encode(onset)
        try await database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO open_episode (episodeId, sensorId, onset, lastSeen) VALUES (?, ?, ?, ?)",
                arguments: [onset.episodeId.uuidString, onset.sensorId, json, max(onset.detectedAt, onset.start)])
        }
    }

    /// Forgets an episode whose end is in the outbox.
    func ended(_ episodeId: UUID) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM open_episode WHERE episodeId = ?", arguments: [episodeId.uuidString])
        }
    }

    /// Moves the last-seen time of sensors with open episodes forward (one transaction).
    func seen(_ lastSeen: [String: Double]) async throws {
        guard !lastSeen.isEmpty else { return }
        try await database.write { db in
            let update = try db.cachedStatement(sql: "UPDATE open_episode SET lastSeen = ? WHERE sensorId = ? AND lastSeen < ?")
            for (sensor, time) in lastSeen { try update.execute(arguments: [time, sensor, time]) }
        }
    }

    /// The ends of every episode left open, marked interrupted, ended at the last time their
    /// sensor was seen (never before their start). Rows that cannot be read are dropped.
    func interruptedEnds() async throws -> [EpisodeEvent] {
        try await database.read { db in
            let decoder = JSONDecoder()
            return try Row.fetchAll(db, sql: "SELECT onset, lastSeen FROM open_episode ORDER BY lastSeen").compactMap { row in
                let json: Data = row["onset"]
                guard var event = try? decoder.decode(EpisodeEvent.self, from: json) else { return nil }
                let end = max(row["lastSeen"] as Double, event.start)
                event.phase = .end
                event.end = end
                event.detectedAt = max(event.detectedAt, end)
                event.interrupted = true
                return event
            }
        }
    }

    /// Forgets every row (after their interrupted ends are in the outbox).
    func clear(_ ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        try await database.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM open_episode WHERE episodeId = ?", arguments: [id.uuidString]) }
        }
    }
}
