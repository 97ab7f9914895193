import Foundation
import GRDB
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

/// A durable outbox (SQLite, one file per sender): a message is written here before it is
/// published, and re-sent with the same message id until a stored receipt names it.
/// Several processes may share one file (the CLI adds diary entries while the manual
/// service is down; the service sends them when it starts).
public final class Outbox: Sendable {
    let database: DatabaseQueue
    public let url: URL

    public init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        database = try DatabaseQueue(path: url.path, configuration: configuration)
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
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
        try migrator.migrate(database)
    }

    /// Writes a message durably (committed, fsync'd). The same id twice keeps the first.
    public func add(_ item: OutboxItem) async throws {
        try await database.write { db in try item.insert(db, onConflict: .ignore) }
    }

    /// Writes a typed message durably and returns the stored item.
    @discardableResult
    public func add<Body: MessageBody>(_ body: Body, topic: String, id: UUID = .timeOrdered(), person: String,
                                       payload: Data? = nil) async throws -> OutboxItem {
        let item = OutboxItem(id: id, topic: topic, type: Body.messageType, person: person,
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

    public func pendingCount() async throws -> Int {
        try await database.read { db in try OutboxItem.fetchCount(db) }
    }

    public func all() async throws -> [OutboxItem] {
        try await database.read { db in try OutboxItem.order(Column("createdAt")).fetchAll(db) }
    }
}
