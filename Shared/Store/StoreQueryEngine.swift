import Foundation
import GRDB
import SpasmBus
import SpasmSchema

/// Answers `StoreRequest`s from the database (read-only; any thread). The query endpoint,
/// tests and the benchmark all go through it.
public struct StoreQueryEngine: Sendable {
    public let database: AppDatabase
    /// Day boundaries when a request names no time zone.
    public let timeZone: TimeZone
    public let diskBudgetBytes: Int64
    public let rawRetentionDays: Double
    public static let defaultLimit = 10_000
    /// The most rows one query returns, and the largest `limit` accepted: a bigger answer is
    /// read page by page (`to` set to the oldest time received). Keeps one reply to a few MB.
    public static let maxLimit = 10_000
    /// The longest range `statistics` covers: a year with room, one reply of a few hundred KB.
    public static let maxStatisticsDays = 400

    /// Given: each refused request counts `queries.refused`.
    public let counters: CounterSet?

    public init(database: AppDatabase, timeZone: TimeZone, diskBudgetBytes: Int64 = 5_000_000_000, rawRetentionDays: Double = 7,
                counters: CounterSet? = nil) {
        self.counters = counters
        self.database = database
        self.timeZone = timeZone
        self.diskBudgetBytes = diskBudgetBytes
        self.rawRetentionDays = rawRetentionDays
    }

    /// A request's JSON in, a response's JSON out; never throws (errors become `ok: false`).
    /// The query endpoint does the same through `RequestReplyServer` with the three below.
    public func answer(json: Data) -> Data {
        let response: StoreResponse
        do {
            response = reply(to: try Self.decode(json: json))
        } catch {
            counters?.add("queries.refused")
            response = Self.refusal(error, in: json)
        }
        return (try? WireCodec.encode(response)) ?? Data(#"{"ok":false,"error":"could not encode the answer"}"#.utf8)
    }

    /// A request's JSON, checked and decoded (the query endpoint's `decode`).
    public static func decode(json: Data) throws -> StoreRequest {
        // JSONDecoder would say "not valid JSON" for NaN, or take 1e309 as infinity.
        if let bad = NonFiniteNumbers.first(in: json) { throw QueryError(message: bad.message) }
        return try JSONDecoder().decode(StoreRequest.self, from: json)
    }

    /// What a request that does not decode gets (the query endpoint's `refuse`).
    public static func refusal(_ error: Error, in json: Data) -> StoreResponse {
        if let error = error as? QueryError { return .failure("bad request: \(error.message)") }
        return .failure("bad request: \(WireCodec.describe(error, in: json)); known queries: "
                        + StoreRequest.Query.allCases.map(\.rawValue).joined(separator: ", "))
    }

    /// `answer`, counting a refusal as `queries.refused` (the query endpoint's handler).
    public func reply(to request: StoreRequest) -> StoreResponse {
        let response = answer(request)
        if !response.ok { counters?.add("queries.refused") }
        return response
    }

    public func answer(_ request: StoreRequest) -> StoreResponse {
        do {
            if let v = request.v, v != SchemaVersion.current { return .failure("\(SchemaError.unsupportedVersion(v))") }
            if let from = request.from, let to = request.to, from > to {
                return .failure("'from' (\(from)) is after 'to' (\(to))")
            }
            for (name, value) in [("from", request.from), ("to", request.to)] {
                if let value, !value.isFinite { return .failure("'\(name)' must be a finite number of Unix seconds") }
            }
            if let limit = request.limit, limit <= 0 { return .failure("'limit' must be positive") }
            if let limit = request.limit, limit > Self.maxLimit {
                return .failure("'limit' is \(limit); at most \(Self.maxLimit) rows per query "
                                + "(for more, ask again with 'to' set to the oldest time received)")
            }
            switch request.query {
            case .entries: return try entries(request)
            case .episodes: return try episodes(request)
            case .alerts: return try alerts(request)
            case .deliveries: return try deliveries(request)
            case .statistics: return try statisticsResponse(request)
            case .sensorSummaries: return try sensorSummaries(request)
            case .sensors: return try sensors()
            case .health: return try health()
            case .info: return try info()
            case .storedFrames: return try storedFrames()
            }
        } catch let error as QueryError {
            return .failure(error.message)
        } catch {
            return .failure("query failed: \(error)")
        }
    }

    struct QueryError: Error { let message: String }

    // MARK: Filters

    /// SQL conditions and arguments built from a request's common filters.
    struct Filter {
        var conditions: [String] = []
        var arguments: [DatabaseValueConvertible?] = []

        mutating func add(_ sql: String, _ args: [DatabaseValueConvertible?] = []) {
            conditions.append(sql)
            arguments.append(contentsOf: args)
        }

        mutating func addIn(_ column: String, _ values: [String]) {
            add("\(column) IN (\(values.map { _ in "?" }.joined(separator: ", ")))", values)
        }

        var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
        var statementArguments: StatementArguments { StatementArguments(arguments) }
    }

    func commonFilter(_ request: StoreRequest, time: String, siteColumn: String?, idColumn: String?) -> Filter {
        var filter = Filter()
        if let from = request.from { filter.add("\(time) >= ?", [from]) }
        if let to = request.to { filter.add("\(time) < ?", [to]) }
        if let person = request.person { filter.add("person = ?", [person]) }
        if let site = request.site, let siteColumn {
            filter.addIn(siteColumn, BodySite.allCases.filter { $0 == site || $0.limb == site }.map(\.rawValue))
        }
        if let prefix = request.idPrefix, let idColumn, !prefix.isEmpty {
            // The prefix is literal: `%` and `_` are not wildcards here.
            let literal = prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            filter.add("\(idColumn) LIKE ? ESCAPE '\\'", [literal + "%"])
        }
        return filter
    }

    func checkKinds(_ kinds: [String]?, allowed: [String], what: String) throws -> [String]? {
        guard let kinds, !kinds.isEmpty else { return nil }
        for kind in kinds where !allowed.contains(kind) {
            throw QueryError(message: "unknown \(what) '\(kind)'; known: \(allowed.joined(separator: ", "))")
        }
        return kinds
    }

    /// Newest `limit` rows, returned oldest first.
    func limited<T>(_ rows: [T], _ request: StoreRequest) -> (rows: [T], truncated: Bool) {
        let limit = request.limit ?? Self.defaultLimit
        return rows.count > limit ? (Array(rows.prefix(limit).reversed()), true) : (rows.reversed(), false)
    }

    // MARK: Queries

    func entries(_ request: StoreRequest) throws -> StoreResponse {
        var filter = commonFilter(request, time: "at", siteColumn: "site", idColumn: "entryId")
        if let kinds = try checkKinds(request.kinds, allowed: DiaryEntry.Kind.allCases.map(\.rawValue), what: "entry kind") {
            filter.addIn("kind", kinds)
        }
        let table = request.includeCorrected == true ? "diary_entry" : "diary_entry_effective"
        let limit = request.limit ?? Self.defaultLimit
        let rows = try database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT person, at, json,
                       (SELECT c.entryId FROM diary_entry c WHERE c.kind = 'correction' AND c.targetEntryId = e.entryId
                        ORDER BY c.recordedAt LIMIT 1) AS correctedBy
                FROM \(table) e \(filter.whereClause) ORDER BY at DESC, entryId LIMIT \(limit + 1)
                """, arguments: filter.statementArguments)
        }
        let decoder = JSONDecoder()
        let entries = try rows.map { row -> StoredEntry in
            let json: Data = row["json"]
            let corrected: String? = row["correctedBy"]
            return StoredEntry(person: row["person"], entry: try decoder.decode(DiaryEntry.self, from: json), at: row["at"],
                               correctedBy: corrected.flatMap(UUID.init(uuidString:)))
        }
        let (page, truncated) = limited(entries, request)
        var response = StoreResponse()
        response.entries = page
        response.truncated = truncated
        return response
    }

    func episodes(_ request: StoreRequest) throws -> StoreResponse {
        var filter = commonFilter(request, time: "start", siteColumn: "site", idColumn: "episodeId")
        if let kinds = try checkKinds(request.kinds, allowed: EpisodeKind.allCases.map(\.rawValue), what: "episode kind") {
            filter.addIn("kind", kinds)
        }
        if let sensor = request.sensorId { filter.add("sensorId = ?", [sensor]) }
        let limit = request.limit ?? Self.defaultLimit
        let episodes = try database.pool.read { db in
            try EpisodeRecord.fetchAll(db, sql: "SELECT * FROM episode_confirmed \(filter.whereClause) ORDER BY start DESC LIMIT \(limit + 1)",
                                       arguments: filter.statementArguments).map(\.stored)
        }
        let (page, truncated) = limited(episodes, request)
        var response = StoreResponse()
        response.episodes = page
        response.truncated = truncated
        return response
    }

    func alerts(_ request: StoreRequest) throws -> StoreResponse {
        var filter = commonFilter(request, time: "at", siteColumn: "site", idColumn: "alertId")
        if let kinds = request.kinds, !kinds.isEmpty { filter.addIn("kind", kinds) }
        if request.undeliveredOnly == true {
            filter.add("NOT EXISTS (SELECT 1 FROM delivery_alert d WHERE d.alertId = a.alertId AND d.outcome = 'sent')")
        }
        let limit = request.limit ?? Self.defaultLimit
        let decoder = JSONDecoder()
        let alerts = try database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT person, json, alertId,
                       (SELECT COUNT(*) FROM delivery_alert d WHERE d.alertId = a.alertId) AS attempts,
                       EXISTS (SELECT 1 FROM delivery_alert d WHERE d.alertId = a.alertId AND d.outcome = 'sent') AS delivered
                FROM alert a \(filter.whereClause) ORDER BY at DESC LIMIT \(limit + 1)
                """, arguments: filter.statementArguments).map { row -> StoredAlert in
                let json: Data = row["json"]
                let alertId: String = row["alertId"]
                let acks = try Data.fetchAll(db, sql: "SELECT json FROM acknowledgement WHERE alertId = ? ORDER BY at",
                                             arguments: [alertId]).map { try decoder.decode(Acknowledgement.self, from: $0) }
                let helps = try Data.fetchAll(db, sql: "SELECT json FROM help_request WHERE alertId = ? ORDER BY at",
                                              arguments: [alertId]).map { try decoder.decode(HelpRequest.self, from: $0) }
                return StoredAlert(person: row["person"], alert: try decoder.decode(Alert.self, from: json),
                                   acknowledgements: acks, helpRequests: helps.isEmpty ? nil : helps,
                                   deliveryAttempts: row["attempts"], delivered: row["delivered"])
            }
        }
        let (page, truncated) = limited(alerts, request)
        var response = StoreResponse()
        response.alerts = page
        response.truncated = truncated
        return response
    }

    func deliveries(_ request: StoreRequest) throws -> StoreResponse {
        var filter = commonFilter(request, time: "at", siteColumn: nil, idColumn: "deliveryId")
        if let kinds = try checkKinds(request.kinds, allowed: ["sent", "failed", "gave-up"], what: "delivery outcome") {
            filter.addIn("outcome", kinds)
        }
        let limit = request.limit ?? Self.defaultLimit
        let decoder = JSONDecoder()
        let deliveries = try database.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM delivery \(filter.whereClause) ORDER BY at DESC LIMIT \(limit + 1)",
                              arguments: filter.statementArguments)
        }.map { try decoder.decode(Delivery.self, from: $0) }
        let (page, truncated) = limited(deliveries, request)
        var response = StoreResponse()
        response.deliveries = page
        response.truncated = truncated
        return response
    }

    func sensorSummaries(_ request: StoreRequest) throws -> StoreResponse {
        var filter = Filter()
        if let from = request.from { filter.add("minute >= ?", [from]) }
        if let to = request.to { filter.add("minute < ?", [to]) }
        if let sensor = request.sensorId { filter.add("sensorId = ?", [sensor]) }
        let limit = request.limit ?? Self.defaultLimit
        let rows = try database.pool.read { db in
            try SensorMinuteRecord.fetchAll(db, sql: "SELECT * FROM sensor_minute \(filter.whereClause) ORDER BY minute DESC, sensorId LIMIT \(limit + 1)",
                                            arguments: filter.statementArguments)
        }.map(\.summary)
        let (page, truncated) = limited(rows, request)
        var response = StoreResponse()
        response.sensorSummaries = page
        response.truncated = truncated
        return response
    }

    func sensors() throws -> StoreResponse {
        var response = StoreResponse()
        response.sensors = try database.pool.read { db in
            try SensorRecord.order(Column("sensorId")).fetchAll(db).map(\.registration)
        }
        return response
    }

    func health() throws -> StoreResponse {
        let decoder = JSONDecoder()
        var response = StoreResponse()
        response.health = try database.pool.read { db in
            try ServiceHealthRecord.order(Column("service"), Column("instance")).fetchAll(db)
        }.map { try decoder.decode(Heartbeat.self, from: $0.json) }
        return response
    }

    func info() throws -> StoreResponse {
        var rows: [String: Int] = [:]
        try database.pool.read { db in
            for table in ["diary_entry", "sensor", "episode", "alert", "acknowledgement", "delivery", "service_health",
                          "sensor_minute", "received_message"] {
                rows[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
        }
        rows["sensor_frame"] = try database.raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sensor_frame") ?? 0 }
        var response = StoreResponse()
        response.info = StoreInfo(databaseBytes: database.databaseBytes, rawBytes: database.rawBytes,
                                  diskBudgetBytes: diskBudgetBytes, rawRetentionDays: rawRetentionDays, rows: rows)
        return response
    }

    func storedFrames() throws -> StoreResponse {
        var response = StoreResponse()
        response.storedFrames = try database.raw.read { db in
            var counts: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT sensorId, frames FROM sensor_frame_count") {
                counts[row["sensorId"]] = row["frames"]
            }
            return counts
        }
        return response
    }

    func statisticsResponse(_ request: StoreRequest) throws -> StoreResponse {
        var zone = timeZone
        if let name = request.timeZone, !name.isEmpty {
            guard let named = TimeZone(identifier: name) else { throw QueryError(message: "unknown time zone '\(name)'") }
            zone = named
        }
        let to = request.to ?? Date().timeIntervalSince1970
        let from = request.from ?? (to - 30 * 86_400)
        let days = ((to - from) / 86_400).rounded(.up)
        if days > Double(Self.maxStatisticsDays) {
            throw QueryError(message: "statistics cover at most \(Self.maxStatisticsDays) days; this request asks for "
                             + "\(days < 1e15 ? String(Int(days)) : String(days)) days: ask for a shorter range of 'from' and 'to'")
        }
        var response = StoreResponse()
        response.statistics = try statistics(from: from, to: to, person: request.person, timeZone: zone)
        return response
    }
}
