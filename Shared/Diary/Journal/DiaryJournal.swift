import Foundation
import GRDB
import SpasmConfig
import SpasmDatabase
import SpasmSchema

extension DataHome {
    /// The manual service's own table of entries it accepted (for the recent list, undo and
    /// id prefixes, until storage's query client takes over).
    public var diaryJournal: URL { dataDirectory.appendingPathComponent("manual-journal.sqlite") }
}

/// The entries the manual service accepted, newest first, with which were retracted.
/// Idempotent by entry id: recording the same entry twice keeps one.
public final class DiaryJournal: Sendable {
    let database: any DatabaseWriter

    /// One row per entry; the whole entry as its wire JSON.
    struct Row: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "entries"
        var id: String
        var recordedAt: Double
        var at: Double
        var kind: String
        var body: Data
        var retractedBy: String?
    }

    /// A journal in `database`, its table made when missing (tests pass `DatabaseQueue()`).
    public init(_ database: any DatabaseWriter) throws {
        self.database = database
        try Self.migrator.migrate(database)
    }

    /// Opens (creating when needed) the journal file: the one way the service and the CLI
    /// open it. synchronous=FULL, like the outbox it mirrors.
    public static func open(url: URL) throws -> DiaryJournal {
        try DiaryJournal(openDatabase(url: url, migrator: migrator, options: .init(synchronous: .full)))
    }

    /// The schema; append-only (a migration that has shipped is never edited).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 entries") { db in
            try db.create(table: "entries") { t in
                t.primaryKey("id", .text)  // lower-case UUID, so prefixes match with LIKE
                t.column("recordedAt", .double).notNull().indexed()
                t.column("at", .double).notNull()
                t.column("kind", .text).notNull()
                t.column("body", .blob).notNull()
                t.column("retractedBy", .text)
            }
        }
        migrator.registerMigration("v6-pagefix-cleared-alerts", migrate: createClearedAlerts)
        return migrator
    }

    static func key(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// Records an accepted entry; a retraction marks its target. Returns false when the
    /// entry id was already there.
    @discardableResult
    public func record(_ entry: DiaryEntry) async throws -> Bool {
        let row = Row(
            id: Self.key(entry.entryId), recordedAt: entry.recordedAt, at: DiaryText.time(of: entry),
            kind: entry.kind.rawValue, body: try WireCodec.encode(entry), retractedBy: nil)
        return try await database.write { db in
            if try Row.exists(db, key: row.id) { return false }
            try row.insert(db)
            if let c = entry.correction { try Self.apply(c, by: row.id, db) }
            return true
        }
    }

    /// A correction takes effect: its target is retracted. When the target is itself a
    /// correction (an undo of an undo, a redo), that one stops taking effect: what it
    /// retracted is back (and so on down a chain of redos).
    static func apply(_ correction: CorrectionRecord, by id: String, _ db: Database) throws {
        var retracting = (target: Self.key(correction.targetEntryId), by: id)
        for _ in 0..<100 {
            try db.execute(
                sql: "UPDATE entries SET retractedBy = ? WHERE id = ? AND retractedBy IS NULL",
                arguments: [retracting.by, retracting.target])
            // The target was a correction: what it retracted is back, unless another one still retracts it.
            guard let undone = try Row.fetchOne(db, key: retracting.target), undone.kind == DiaryEntry.Kind.correction.rawValue,
                let inner = decode(undone)?.entry.correction
            else { return }
            let restored = Self.key(inner.targetEntryId)
            try db.execute(sql: "UPDATE entries SET retractedBy = NULL WHERE id = ? AND retractedBy = ?", arguments: [restored, undone.id])
            // The restored entry is a correction too: it takes effect again.
            guard let again = try Row.fetchOne(db, key: restored), again.kind == DiaryEntry.Kind.correction.rawValue,
                again.retractedBy == nil, let next = decode(again)?.entry.correction
            else { return }
            retracting = (Self.key(next.targetEntryId), again.id)
        }
    }

    /// Which of `ids` are not recorded yet (one read, however many ids).
    public func unknown(_ ids: [UUID]) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let known = try await database.read { db in
            try String.fetchSet(db, Row.select(Column("id")).filter(keys: ids.map(Self.key)))
        }
        return Set(ids.filter { !known.contains(Self.key($0)) })
    }

    public func contains(_ id: UUID) async throws -> Bool {
        try await database.read { db in try Row.exists(db, key: Self.key(id)) }
    }

    /// One entry and whether it was retracted.
    public func entry(_ id: UUID) async throws -> (entry: DiaryEntry, retracted: Bool)? {
        try await database.read { db in try Row.fetchOne(db, key: Self.key(id)) }.flatMap(Self.decode)
    }

    /// The most recently written entries, newest first.
    public func recent(limit: Int) async throws -> [(entry: DiaryEntry, retracted: Bool)] {
        try await database.read { db in
            try Row.order(Column("recordedAt").desc).limit(limit).fetchAll(db)
        }.compactMap(Self.decode)
    }

    /// Entry ids starting with `prefix` (lower case), at most `limit`.
    public func ids(startingWith prefix: String, limit: Int = 20) async throws -> [UUID] {
        let pattern = prefix.lowercased().filter { $0.isHexDigit || $0 == "-" } + "%"
        return try await database.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM entries WHERE id LIKE ? LIMIT ?", arguments: [pattern, limit])
        }.compactMap { UUID(uuidString: $0) }
    }

    /// The last entry a plain `undo` retracts: the newest that is not a correction and not retracted.
    public func lastUndoable() async throws -> DiaryEntry? {
        try await database.read { db in
            try Row.filter(Column("kind") != DiaryEntry.Kind.correction.rawValue && Column("retractedBy") == nil)
                .order(Column("recordedAt").desc).fetchOne(db)
        }.flatMap(Self.decode)?.entry
    }

    /// The latest answer per episode, from confirmation entries not retracted.
    public func confirmations() async throws -> [UUID: Bool] {
        let rows = try await database.read { db in
            try Row.filter(Column("kind") == DiaryEntry.Kind.confirmation.rawValue && Column("retractedBy") == nil)
                .order(Column("recordedAt")).fetchAll(db)
        }
        var answers: [UUID: Bool] = [:]
        for row in rows { if let c = Self.decode(row)?.entry.confirmation { answers[c.episodeId] = c.wasSpasm } }
        return answers
    }

    public func count() async throws -> Int {
        try await database.read { db in try Row.fetchCount(db) }
    }

    static func decode(_ row: Row) -> (entry: DiaryEntry, retracted: Bool)? {
        guard let entry = try? JSONDecoder().decode(DiaryEntry.self, from: row.body) else { return nil }
        return (entry, row.retractedBy != nil)
    }
}
