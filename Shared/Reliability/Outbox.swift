import Foundation
import GRDB
import SpasmDatabase
import SpasmSchema

/// One message waiting for storage's stored receipt.
public struct OutboxItem: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "outbox"
    public var id: UUID
    public var topic: String
    public var type: String
    public var person: String
    public var body: Data
    public var payload: Data?
    public var createdAt: Double
    public var lastSentAt: Double?
    public var attempts: Int
}

/// A message storage refused (its body broke the sender's rules, or could not be read),
/// kept with storage's reason instead of being re-sent: nothing accepted is lost, and
/// `spasmwatch status` shows it.
public struct RefusedItem: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "refused"
    public var id: UUID
    public var topic: String
    public var type: String
    public var person: String
    public var body: Data
    public var payload: Data?
    public var createdAt: Double
    public var attempts: Int
    public var reason: String
    public var refusedAt: Double
}

/// A durable outbox (SQLite, one file per sender): a message is written here before it is
/// published, and re-sent with the same message id until a stored receipt names it.
/// Several processes may share one file (the CLI adds diary entries while the manual
/// service is down; the service sends them when it starts).
public final class Outbox: Sendable {
    let database: any DatabaseWriter

    /// The file it keeps (":memory:" for a database in memory).
    public var url: URL { URL(fileURLWithPath: database.path) }

    /// An outbox in `database`, its tables made when missing (tests pass `DatabaseQueue()`).
    public init(_ database: any DatabaseWriter) throws {
        self.database = database
        try Self.migrator.migrate(database)
    }

    /// Opens (creating when needed) the outbox file at `url`: the one way the services and
    /// the CLI open one. synchronous=FULL: what the outbox holds was promised to someone.
    public static func open(url: URL) throws -> Outbox {
        try Outbox(openDatabase(url: url, migrator: migrator, options: .init(synchronous: .full)))
    }

    /// The schema; append-only (a migration that has shipped is never edited).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 outbox") { db in
            try db.create(table: "outbox") { t in
                t.primaryKey("id", .text)
                t.column("topic", .text).notNull()
                t.column("type", .text).notNull()
                t.column("person", .text).notNull()
                t.column("body", .blob).notNull()
                t.column("payload", .blob)
                t.column("createdAt", .double).notNull()
                t.column("lastSentAt", .double)
                t.column("attempts", .integer).notNull().defaults(to: 0)
            }
        }
        migrator.registerMigration("v2-refusal refused") { db in
            try db.create(table: "refused") { t in
                t.primaryKey("id", .text)
                t.column("topic", .text).notNull()
                t.column("type", .text).notNull()
                t.column("person", .text).notNull()
                t.column("body", .blob).notNull()
                t.column("payload", .blob)
                t.column("createdAt", .double).notNull()
                t.column("attempts", .integer).notNull()
                t.column("reason", .text).notNull()
                t.column("refusedAt", .double).notNull()
            }
        }
        return migrator
    }

    /// Writes a message durably (committed, fsync'd). The same id twice keeps the first.
    public func add(_ item: OutboxItem) async throws {
        try await database.write { db in try item.insert(db, onConflict: .ignore) }
    }

    /// Writes a typed message durably and returns the stored item.
    @discardableResult
    public func add<Body: MessageBody>(
        _ body: Body, topic: String, id: UUID = .timeOrdered(), person: String,
        payload: Data? = nil
    ) async throws -> OutboxItem {
        let item = OutboxItem(
            id: id, topic: topic, type: Body.messageType, person: person,
            body: try WireCodec.encode(body), payload: payload,
            createdAt: Date().timeIntervalSince1970, lastSentAt: nil, attempts: 0)
        try await add(item)
        return item
    }

    /// Messages never sent, or last sent before `cutoff`, oldest first.
    public func due(sentBefore cutoff: Double, limit: Int = 1000) async throws -> [OutboxItem] {
        try await database.read { db in
            try OutboxItem.filter(Column("lastSentAt") == nil || Column("lastSentAt") < cutoff)
                .order(Column("createdAt")).limit(limit).fetchAll(db)
        }
    }

    /// Notes that messages were just (re-)published.
    public func markSent(_ ids: [UUID], at time: Double = Date().timeIntervalSince1970) async throws {
        guard !ids.isEmpty else { return }
        _ = try await database.write { db in
            try OutboxItem.filter(keys: ids)
                .updateAll(db, Column("lastSentAt").set(to: time), Column("attempts") += 1)
        }
    }

    /// Removes messages storage confirmed; returns how many were still waiting.
    @discardableResult
    public func confirm(_ ids: [UUID]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await database.write { db in try OutboxItem.deleteAll(db, keys: ids) }
    }

    /// Moves messages storage refused out of the re-send queue into the `refused` table,
    /// with storage's reason; returns how many were still waiting (a repeated refusal
    /// moves nothing).
    @discardableResult
    public func refuse(_ refusals: [(id: UUID, reason: String)], at time: Double = Date().timeIntervalSince1970) async throws -> Int {
        guard !refusals.isEmpty else { return 0 }
        return try await database.write { db in
            var moved = 0
            for refusal in refusals {
                guard let item = try OutboxItem.fetchOne(db, key: refusal.id) else { continue }
                try RefusedItem(
                    id: item.id, topic: item.topic, type: item.type, person: item.person, body: item.body,
                    payload: item.payload, createdAt: item.createdAt, attempts: item.attempts,
                    reason: refusal.reason, refusedAt: time
                ).insert(db, onConflict: .replace)
                try item.delete(db)
                moved += 1
            }
            return moved
        }
    }

    /// What storage refused, oldest first.
    public func refused() async throws -> [RefusedItem] {
        try await database.read { db in try RefusedItem.order(Column("refusedAt"), Column("createdAt")).fetchAll(db) }
    }

    /// How many messages storage refused, and the latest of them.
    public func refusedSummary() async throws -> (count: Int, latest: RefusedItem?) {
        let (count, latest) = try await database.read { db -> (Int, RefusedItem?) in
            (try RefusedItem.fetchCount(db), try RefusedItem.order(Column("refusedAt").desc).fetchOne(db))
        }
        return (count, latest)
    }

    public func pendingCount() async throws -> Int {
        try await database.read { db in try OutboxItem.fetchCount(db) }
    }

    public func all() async throws -> [OutboxItem] {
        try await database.read { db in try OutboxItem.order(Column("createdAt")).fetchAll(db) }
    }
}
