import Foundation
import GRDB
import SpasmBus
import SpasmErrors
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

    public init(
        database: AppDatabase, timeZone: TimeZone, diskBudgetBytes: Int64 = 5_000_000_000, rawRetentionDays: Double = 7,
        counters: CounterSet? = nil
    ) {
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
        if let bad = NonFiniteNumbers.first(in: json) { throw SpasmError(.storeBadQuery, bad.message) }
        return try JSONDecoder().decode(StoreRequest.self, from: json)
    }

    /// What a request that does not decode gets (the query endpoint's `refuse`).
    public static func refusal(_ error: Error, in json: Data) -> StoreResponse {
        if let error = error as? SpasmError, error.code == .storeBadQuery { return .failure("bad request: \(error.message)") }
        return .failure(
            "bad request: \(WireCodec.describe(error, in: json)); known queries: "
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
            if let v = request.v, v != SchemaVersion.current { return .failure("\(SpasmError.schemaUnsupportedVersion(v))") }
            if let from = request.from, let to = request.to, from > to {
                return .failure("'from' (\(from)) is after 'to' (\(to))")
            }
            for (name, value) in [("from", request.from), ("to", request.to)] {
                if let value, !value.isFinite { return .failure("'\(name)' must be a finite number of Unix seconds") }
            }
            if let limit = request.limit, limit <= 0 { return .failure("'limit' must be positive") }
            if let limit = request.limit, limit > Self.maxLimit {
                return .failure(
                    "'limit' is \(limit); at most \(Self.maxLimit) rows per query "
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
        } catch let error as SpasmError where error.code == .storeBadQuery {
            return .failure(error.message)
        } catch {
            return .failure("query failed: \(error)")
        }
    }

    // MARK: Filters

    /// A request's common filters on `rows`: the time range, the person, the body site (a
    /// limb takes in its parts) and the id prefix, each when the request names it and the
    /// table has the column.
    func filtered<Record>(
        _ rows: QueryInterfaceRequest<Record>, _ request: StoreRequest, time: Column, person: Column,
        site: Column?, id: Column?
    ) -> QueryInterfaceRequest<Record> {
        var rows = rows
        if let from = request.from { rows = rows.filter(time >= from) }
        if let to = request.to { rows = rows.filter(time < to) }
        if let name = request.person { rows = rows.filter(person == name) }
        if let wanted = request.site, let site {
            rows = rows.filter(BodySite.allCases.filter { $0 == wanted || $0.limb == wanted }.map(\.rawValue).contains(site))
        }
        if let prefix = request.idPrefix, let id, !prefix.isEmpty {
            // The prefix is literal: `%` and `_` are not wildcards here.
            let literal = prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            rows = rows.filter(id.like(literal + "%", escape: "\\"))
        }
        return rows
    }

    func checkKinds(_ kinds: [String]?, allowed: [String], what: String) throws -> [String]? {
        guard let kinds, !kinds.isEmpty else { return nil }
        for kind in kinds where !allowed.contains(kind) {
            throw SpasmError(.storeBadQuery, "unknown \(what) '\(kind)'; known: \(allowed.joined(separator: ", "))")
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
        typealias C = DiaryEntryRecord.Columns
        let e = TableAlias<DiaryEntryRecord>(name: "e")
        let c = TableAlias<DiaryEntryRecord>(name: "c")
        let table = request.includeCorrected == true ? DiaryEntryRecord.all() : DiaryEntryRecord.effectiveView.all()
        var rows = filtered(table.aliased(e), request, time: C.at, person: C.person, site: C.site, id: C.entryId)
        if let kinds = try checkKinds(request.kinds, allowed: DiaryEntry.Kind.allCases.map(\.rawValue), what: "entry kind") {
            rows = rows.filter(kinds.contains(C.kind))
        }
        // The first correction of each entry, if any.
        let correctedBy = DiaryEntryRecord.aliased(c).select(C.entryId)
            .filter(C.kind == DiaryEntry.Kind.correction.rawValue && C.targetEntryId == e[C.entryId])
            .order(C.recordedAt).limit(1)
        let limit = request.limit ?? Self.defaultLimit
        let found = try database.main.read { db in
            try Row.fetchAll(
                db,
                rows.select(C.person, C.at, C.json, correctedBy.forKey("correctedBy"))
                    .order(C.at.desc, C.entryId).limit(limit + 1))
        }
        let decoder = JSONDecoder()
        let entries = try found.map { row -> StoredEntry in
            let json: Data = row["json"]
            let corrected: String? = row["correctedBy"]
            return StoredEntry(
                person: row["person"], entry: try decoder.decode(DiaryEntry.self, from: json), at: row["at"],
                correctedBy: corrected.flatMap(UUID.init(uuidString:)))
        }
        let (page, truncated) = limited(entries, request)
        var response = StoreResponse()
        response.entries = page
        response.truncated = truncated
        return response
    }

    func episodes(_ request: StoreRequest) throws -> StoreResponse {
        typealias C = EpisodeRecord.Columns
        var rows = filtered(EpisodeRecord.confirmedView.all(), request, time: C.start, person: C.person, site: C.site, id: C.episodeId)
        if let kinds = try checkKinds(request.kinds, allowed: EpisodeKind.allCases.map(\.rawValue), what: "episode kind") {
            rows = rows.filter(kinds.contains(C.kind))
        }
        if let sensor = request.sensorId { rows = rows.filter(C.sensorId == sensor) }
        let limit = request.limit ?? Self.defaultLimit
        let episodes = try database.main.read { db in
            try rows.order(C.start.desc).limit(limit + 1).fetchAll(db).map(\.stored)
        }
        let (page, truncated) = limited(episodes, request)
        var response = StoreResponse()
        response.episodes = page
        response.truncated = truncated
        return response
    }

    func alerts(_ request: StoreRequest) throws -> StoreResponse {
        typealias C = AlertRecord.Columns
        typealias D = DeliveryAlertRecord.Columns
        typealias A = AlertAnswerRecord.Columns
        let a = TableAlias<AlertRecord>(name: "a")
        let deliveries = DeliveryAlertRecord.filter(D.alertId == a[C.alertId])
        let sent = deliveries.filter(D.outcome == "sent")
        var rows = filtered(AlertRecord.aliased(a), request, time: C.at, person: C.person, site: C.site, id: C.alertId)
        if let kinds = request.kinds, !kinds.isEmpty { rows = rows.filter(kinds.contains(C.kind)) }
        if request.undeliveredOnly == true { rows = rows.filter(!sent.exists()) }
        let limit = request.limit ?? Self.defaultLimit
        let decoder = JSONDecoder()
        let alerts = try database.main.read { db in
            try Row.fetchAll(
                db,
                rows.select(
                    C.person, C.json, C.alertId, deliveries.select(count(D.deliveryId)).forKey("attempts"),
                    sent.exists().forKey("delivered")
                )
                .order(C.at.desc).limit(limit + 1)
            ).map { row -> StoredAlert in
                let json: Data = row["json"]
                let alertId: String = row["alertId"]
                let acks = try AlertAnswerRecord.select(A.json, as: Data.self).filter(A.alertId == alertId).order(A.at)
                    .fetchAll(db).map { try decoder.decode(Acknowledgement.self, from: $0) }
                let helps = try AlertAnswerRecord.helpRequests.select(A.json, as: Data.self).filter(A.alertId == alertId).order(A.at)
                    .fetchAll(db).map { try decoder.decode(HelpRequest.self, from: $0) }
                return StoredAlert(
                    person: row["person"], alert: try decoder.decode(Alert.self, from: json),
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
        typealias C = DeliveryRecord.Columns
        var rows = filtered(DeliveryRecord.all(), request, time: C.at, person: C.person, site: nil, id: C.deliveryId)
        if let kinds = try checkKinds(request.kinds, allowed: ["sent", "failed", "gave-up"], what: "delivery outcome") {
            rows = rows.filter(kinds.contains(C.outcome))
        }
        let limit = request.limit ?? Self.defaultLimit
        let decoder = JSONDecoder()
        let deliveries = try database.main.read { db in
            try rows.select(C.json, as: Data.self).order(C.at.desc).limit(limit + 1).fetchAll(db)
        }.map { try decoder.decode(Delivery.self, from: $0) }
        let (page, truncated) = limited(deliveries, request)
        var response = StoreResponse()
        response.deliveries = page
        response.truncated = truncated
        return response
    }

    func sensorSummaries(_ request: StoreRequest) throws -> StoreResponse {
        typealias C = SensorMinuteRecord.Columns
        var rows = SensorMinuteRecord.all()
        if let from = request.from { rows = rows.filter(C.minute >= from) }
        if let to = request.to { rows = rows.filter(C.minute < to) }
        if let sensor = request.sensorId { rows = rows.filter(C.sensorId == sensor) }
        let limit = request.limit ?? Self.defaultLimit
        let summaries = try database.main.read { db in
            try rows.order(C.minute.desc, C.sensorId).limit(limit + 1).fetchAll(db)
        }.map(\.summary)
        let (page, truncated) = limited(summaries, request)
        var response = StoreResponse()
        response.sensorSummaries = page
        response.truncated = truncated
        return response
    }

    func sensors() throws -> StoreResponse {
        var response = StoreResponse()
        response.sensors = try database.main.read { db in
            try SensorRecord.order(SensorRecord.Columns.sensorId).fetchAll(db).map(\.registration)
        }
        return response
    }

    func health() throws -> StoreResponse {
        let decoder = JSONDecoder()
        var response = StoreResponse()
        response.health = try database.main.read { db in
            try ServiceHealthRecord.order(ServiceHealthRecord.Columns.service, ServiceHealthRecord.Columns.instance).fetchAll(db)
        }.map { try decoder.decode(Heartbeat.self, from: $0.json) }
        return response
    }

    func info() throws -> StoreResponse {
        var rows: [String: Int] = [:]
        try database.main.read { db in
            for table in [
                "diary_entry", "sensor", "episode", "alert", "acknowledgement", "delivery", "service_health",
                "sensor_minute", "received_message",
            ] {
                rows[table] = try Table(table).fetchCount(db)
            }
        }
        rows["sensor_frame"] = try database.raw.read { db in try Table("sensor_frame").fetchCount(db) }
        var response = StoreResponse()
        response.info = StoreInfo(
            databaseBytes: database.databaseBytes, rawBytes: database.rawBytes,
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
            guard let named = TimeZone(identifier: name) else { throw SpasmError(.storeBadQuery, "unknown time zone '\(name)'") }
            zone = named
        }
        let to = request.to ?? Date().timeIntervalSince1970
        let from = request.from ?? (to - 30 * 86_400)
        let days = ((to - from) / 86_400).rounded(.up)
        if days > Double(Self.maxStatisticsDays) {
            throw SpasmError(
                .storeBadQuery,
                "statistics cover at most \(Self.maxStatisticsDays) days; this request asks for "
                    + "\(days < 1e15 ? String(Int(days)) : String(days)) days: ask for a shorter range of 'from' and 'to'")
        }
        var response = StoreResponse()
        response.statistics = try statistics(from: from, to: to, person: request.person, timeZone: zone)
        return response
    }
}

extension SpasmError.Code {
    /// A query the store refuses: what is wrong with it and what is allowed.
    static let storeBadQuery = SpasmError.Code("store.bad-query")
}
