import Foundation
import GRDB
import SpasmDatabase
import SpasmSchema

/// Notify's own memory (`<data>/notify.sqlite`): every alert it took in, whether any
/// notification about it got through, and whether someone acknowledged it. Used to
/// resume after a restart without storage, to ignore re-sent alerts, and by
/// `spasmwatch ack` to find an alert by a short id prefix.
public final class NotifyJournal: Sendable {
    let database: any DatabaseWriter

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

    /// A journal in `database`, its tables made when missing (tests pass `DatabaseQueue()`).
    public init(_ database: any DatabaseWriter) throws {
        self.database = database
        try Self.migrator.migrate(database)
    }

    /// Opens (creating when needed) the notify service's journal file.
    public static func open(url: URL) throws -> NotifyJournal {
        try NotifyJournal(openDatabase(url: url, migrator: migrator))
    }

    /// Opens an existing journal for reading only (the CLI: it must never create the
    /// service's file with its own owner and mode); nil when there is none yet.
    public static func open(readingFrom url: URL) -> NotifyJournal? {
        guard FileManager.default.fileExists(atPath: url.path),
            let database = try? openDatabase(url: url, migrator: nil, options: .init(readOnly: true))
        else { return nil }
        return NotifyJournal(reading: database)
    }

    private init(reading database: any DatabaseWriter) { self.database = database }

    /// The schema; append-only (a migration that has shipped is never edited).
    static var migrator: DatabaseMigrator {
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
        migrator.registerMigration("v3 escalations") { db in
            // One row per escalation still running, rewritten at each step and removed
            // when it ends (last receiver told, or acknowledged).
            try db.create(table: "escalation") { t in
                t.primaryKey("alertId", .text)
                t.column("state", .blob).notNull()
                t.column("updatedAt", .double).notNull()
            }
            // The channel a send is for, as the rules described it: after a reload the
            // receiver's channel at `channelIndex` may be another one.
            try db.alter(table: "job") { t in t.add(column: "channel", .blob) }
        }
        return migrator
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
        /// The channel's `ChannelSpec` as JSON (nil in jobs from before it was kept).
        public var channel: Data?

        public init(
            id: String, receiver: String, channelIndex: Int, notification: Data, createdAt: Double,
            channel: ChannelSpec? = nil
        ) {
            self.id = id
            self.receiver = receiver
            self.channelIndex = channelIndex
            self.notification = notification
            self.createdAt = createdAt
            self.channel = channel.flatMap { try? JSONEncoder().encode($0) }
        }

        public var channelSpec: ChannelSpec? { channel.flatMap { try? JSONDecoder().decode(ChannelSpec.self, from: $0) } }
    }

    public func addJob(_ job: Job) async throws {
        try await database.write { db in try job.insert(db, onConflict: .ignore) }
    }

    public func removeJob(_ id: String) async throws {
        _ = try await database.write { db in try Job.deleteOne(db, key: id) }
    }

    /// New sends and escalation progress, in one transaction: a crash leaves either both
    /// (the sends are resumed, the escalation goes on after them) or neither.
    public func save(jobs: [Job], escalations changes: NotificationPlanner.EscalationChanges, at time: Double) async throws {
        guard !jobs.isEmpty || !changes.isEmpty else { return }
        let rows = try changes.running.map { (id: $0.alert.alertId.uuidString, state: try WireCodec.encode($0)) }
        try await database.write { db in
            for job in jobs { try job.insert(db, onConflict: .ignore) }
            for row in rows {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO escalation (alertId, state, updatedAt) VALUES (?, ?, ?)",
                    arguments: [row.id, row.state, time])
            }
            for id in changes.ended {
                try db.execute(sql: "DELETE FROM escalation WHERE alertId = ?", arguments: [id.uuidString])
            }
        }
    }

    /// Escalations an earlier run left running, oldest first.
    public func runningEscalations() async throws -> [NotificationPlanner.EscalationState] {
        let blobs = try await database.read { db in
            try Data.fetchAll(db, sql: "SELECT state FROM escalation ORDER BY updatedAt")
        }
        return blobs.compactMap { try? JSONDecoder().decode(NotificationPlanner.EscalationState.self, from: $0) }
    }

    public func pendingJobs() async throws -> [Job] {
        try await database.read { db in try Job.order(Column("createdAt")).fetchAll(db) }
    }

    /// Records an alert; false when it was already there (a re-send).
    @discardableResult
    public func record(_ alert: Alert, person: String, at time: Double) async throws -> Bool {
        let entry = Entry(
            id: alert.alertId.uuidString, person: person, severity: alert.severity.rawValue, kind: alert.kind,
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
            try db.execute(sql: "DELETE FROM escalation WHERE alertId = ?", arguments: [ack.alertId.uuidString])
        }
    }

    /// Alerts nobody acknowledged and no notification of which got through (since `since`):
    /// after a restart they are routed again. A delivered alert is never sent again; an
    /// escalation still running is in `runningEscalations`.
    public func undelivered(since: Double) async throws -> [Entry] {
        try await database.read { db in
            try Entry.filter(Column("acknowledgedAt") == nil && Column("deliveredAt") == nil && Column("receivedAt") >= since)
                .order(Column("receivedAt")).fetchAll(db)
        }
    }

    /// Forgets alerts received before `time` (the journal is notify's working memory;
    /// storage keeps the history).
    @discardableResult
    public func prune(before time: Double) async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM escalation WHERE updatedAt < ?", arguments: [time])
            return try Entry.filter(Column("receivedAt") < time).deleteAll(db)
        }
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
