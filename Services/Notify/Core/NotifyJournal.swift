import Foundation
import GRDB
import SpasmSchema

/// Notify's own memory (`<data>/notify.sqlite`): every alert it took in, whether any
/// notification about it got through, and whether someone acknowledged it. Used to
/// resume after a restart without storage, to ignore re-sent alerts, and by
/// `spasmwatch ack` to find an alert by a short id prefix.
public final class NotifyJournal: Sendable {
    let database: DatabaseQueue

    /// One alert as the journal keeps it.
    public struct Entry: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
        public static let databaseTableName = "alert"
        public var id: String
        public var person: String
        public var severity: String
        public var kind: String
        public var body: Data
        public var receivedAt: Double
        public var deliveredAt: Double?
        public var acknowledgedAt: Double?
        public var falseAlarm: Bool

        public var alert: Alert? { try? JSONDecoder().decode(Alert.self, from: body) }
    }

    /// Opens (creating when needed) the journal for the notify service.
    public init(url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        database = try DatabaseQueue(path: url.path, configuration: configuration)
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 alerts") { db in
            try db.create(table: "alert") { t in
                t.primaryKey("id", .text)
                t.column("person", .text).notNull()
                t.column("severity", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("body", .blob).notNull()
                t.column("receivedAt", .double).notNull().indexed()
                t.column("deliveredAt", .double)
                t.column("acknowledgedAt", .double)
                t.column("falseAlarm", .boolean).notNull().defaults(to: false)
            }
        }
        migrator.registerMigration("v2 pending sends") { db in
            try db.create(table: "job") { t in
                t.primaryKey("id", .text)
                t.column("receiver", .text).notNull()
                t.column("channelIndex", .integer).notNull()
                t.column("notification", .blob).notNull()
                t.column("createdAt", .double).notNull()
            }
        }
        try migrator.migrate(database)
    }

    /// Opens an existing journal for reading only (the CLI: it must never create the
    /// service's file with its own owner and mode); nil when there is none yet.
    public init?(readingFrom url: URL) {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        guard let database = try? DatabaseQueue(path: url.path, configuration: configuration) else { return nil }
        self.database = database
    }

    /// One notification still to be brought through one channel: written before the first
    /// attempt, removed after the last (sent or given up). What a crash interrupts is
    /// taken up again on the next start — the webhook's durable outbox.
    public struct Job: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
        public static let databaseTableName = "job"
        public var id: String
        public var receiver: String
        /// Position of the channel in the receiver's `channels`.
        public var channelIndex: Int
        public var notification: Data
        public var createdAt: Double
    }

    public func addJob(_ job: Job) async throws {
        try await database.write { db in try job.insert(db, onConflict: .ignore) }
    }

    public func removeJob(_ id: String) async throws {
        _ = try await database.write { db in try Job.deleteOne(db, key: id) }
    }

    public func pendingJobs() async throws -> [Job] {
        try await database.read { db in try Job.order(Column("createdAt")).fetchAll(db) }
    }

    /// Records an alert; false when it was already there (a re-send).
    @discardableResult
    public func record(_ alert: Alert, person: String, at time: Double) async throws -> Bool {
        let entry = Entry(id: alert.alertId.uuidString, person: person, severity: alert.severity.rawValue, kind: alert.kind,
                          body: try WireCodec.encode(alert), receivedAt: time, deliveredAt: nil, acknowledgedAt: nil,
                          falseAlarm: false)
        return try await database.write { db in
            let before = db.totalChangesCount
            try entry.insert(db, onConflict: .ignore)
            return db.totalChangesCount > before
        }
    }

    public func markDelivered(_ ids: [UUID], at time: Double) async throws {
        guard !ids.isEmpty else { return }
        _ = try await database.write { db in
            try Entry.filter(keys: ids.map(\.uuidString)).filter(Column("deliveredAt") == nil)
                .updateAll(db, Column("deliveredAt").set(to: time))
        }
    }

    public func markAcknowledged(_ ack: Acknowledgement) async throws {
        _ = try await database.write { db in
            try Entry.filter(key: ack.alertId.uuidString)
                .updateAll(db, Column("acknowledgedAt").set(to: ack.at), Column("falseAlarm").set(to: ack.falseAlarm))
        }
    }

    /// Alerts nobody acknowledged that were never delivered (since `since`), or that are
    /// critical and recent enough that their escalation would still be running
    /// (since `criticalSince`): after a restart it starts again from the first receiver.
    public func unfinished(since: Double, criticalSince: Double) async throws -> [Entry] {
        try await database.read { db in
            try Entry.filter(Column("acknowledgedAt") == nil)
                .filter((Column("deliveredAt") == nil && Column("receivedAt") >= since)
                        || (Column("severity") == AlertSeverity.critical.rawValue && Column("receivedAt") >= criticalSince))
                .order(Column("receivedAt")).fetchAll(db)
        }
    }

    /// Forgets alerts received before `time` (the journal is notify's working memory;
    /// storage keeps the history).
    @discardableResult
    public func prune(before time: Double) async throws -> Int {
        try await database.write { db in try Entry.filter(Column("receivedAt") < time).deleteAll(db) }
    }

    public func entry(_ id: UUID) async throws -> Entry? {
        try await database.read { db in try Entry.fetchOne(db, key: id.uuidString) }
    }

    /// Alerts whose id starts with `prefix` (case-insensitive), newest first.
    public func find(prefix: String, limit: Int = 20) async throws -> [Entry] {
        let pattern = prefix.uppercased().filter { $0.isHexDigit || $0 == "-" } + "%"
        return try await database.read { db in
            try Entry.filter(Column("id").like(pattern)).order(Column("receivedAt").desc).limit(limit).fetchAll(db)
        }
    }

    /// The newest alerts, for listings.
    public func recent(limit: Int = 20) async throws -> [Entry] {
        try await database.read { db in try Entry.order(Column("receivedAt").desc).limit(limit).fetchAll(db) }
    }
}
