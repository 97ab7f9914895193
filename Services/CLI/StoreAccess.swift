import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmStore
import ZeroMQ

/// What the store commands share: the home, its configuration and time zone, and queries
/// to spasmwatch-store through `StoreClient`.
struct StoreAccess {
    let home: DataHome
    let configuration: Configuration
    let endpoints: Endpoints
    let timeZone: TimeZone
    let client: StoreClient

    init(options: CommonOptions) throws {
        (home, configuration) = try options.load()
        endpoints = Endpoints(home: home, configuration: configuration)
        timeZone = configuration.timeZone.zone
        client = StoreClient(context: ProcessContext.shared, endpoint: endpoints.storeQuery)
    }

    /// One query; a refusal or a store that does not answer becomes a readable error.
    func query(_ request: StoreRequest) async throws -> StoreResponse {
        do {
            return try await client.send(request)
        } catch let error as SpasmError where SpasmError.Code.storeQueryFailures.contains(error.code) {
            throw ValidationError(error.description)
        }
    }

    /// Every row a list query matches, read `StoreQueryEngine.maxLimit` rows at a time (the
    /// most one query returns): each next page asks again with `to` just past the oldest time
    /// received, so rows at that time are read twice and kept once. Oldest first.
    func all<Row>(
        _ request: StoreRequest, _ rows: (StoreResponse) -> [Row]?, time: (Row) -> Double,
        id: (Row) -> String
    ) async throws -> [Row] {
        var request = request
        request.limit = StoreQueryEngine.maxLimit
        var pages: [[Row]] = []
        var seen = Set<String>()
        while true {
            let response = try await query(request)
            let page = rows(response) ?? []
            let fresh = page.filter { seen.insert(id($0)).inserted }
            pages.append(fresh)
            guard response.truncated == true, let oldest = page.first.map(time) else { break }
            guard !fresh.isEmpty else {
                throw ValidationError(
                    "more than \(StoreQueryEngine.maxLimit) \(request.query.rawValue) share the time \(oldest); cannot read past them")
            }
            request.to = oldest.nextUp
        }
        return pages.reversed().flatMap { $0 }
    }

    func allEntries(_ request: StoreRequest) async throws -> [StoredEntry] {
        try await all(request, \.entries, time: \.at, id: \.entry.entryId.uuidString)
    }

    func allEpisodes(_ request: StoreRequest) async throws -> [StoredEpisode] {
        try await all(request, \.episodes, time: \.start, id: \.episodeId.uuidString)
    }

    func allAlerts(_ request: StoreRequest) async throws -> [StoredAlert] {
        try await all(request, \.alerts, time: \.alert.at, id: \.alert.alertId.uuidString)
    }

    func allDeliveries(_ request: StoreRequest) async throws -> [Delivery] {
        try await all(request, \.deliveries, time: \.at, id: \.deliveryId.uuidString)
    }

    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// "2026-11-25 14:03", local.
    func localTime(_ time: Double, format: String = "yyyy-MM-dd HH:mm") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = format
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    /// "7d", "12h", "30m", "2w" back from now, or a local date "2026-11-01".
    func parseSince(_ text: String, now: Double = Date().timeIntervalSince1970) throws -> Double {
        let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400]
        if let unit = text.last, let seconds = units[unit], let n = Double(text.dropLast()), n >= 0 {
            return now - n * seconds
        }
        return try parseDate(text)
    }

    /// A local date "2026-11-01" (its midnight), or "2026-11-01 08:30".
    func parseDate(_ text: String) throws -> Double {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        for format in ["yyyy-MM-dd", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        }
        throw ValidationError("'\(text)' is neither a duration (30m, 12h, 7d, 2w) nor a date (2026-11-01)")
    }

    /// Local midnight `days - 1` days before today: the start of a `days`-day window ending today.
    func startOfWindow(days: Int, now: Date = Date()) -> Double {
        let today = calendar.startOfDay(for: now)
        return (calendar.date(byAdding: .day, value: -(max(days, 1) - 1), to: today) ?? today).timeIntervalSince1970
    }
}
