import Foundation
import GRDB
import SpasmSchema

/// Local days between two instants, in one time zone, daylight saving included: a day is
/// from one local midnight to the next (23, 24 or 25 hours).
public struct LocalDays: Sendable {
    public let timeZone: TimeZone
    public let calendar: Calendar
    /// Unix time of each day's local midnight, plus the midnight ending the last day.
    public let bounds: [Double]
    public let labels: [String]

    public init(from: Double, to: Double, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.timeZone = timeZone
        self.calendar = calendar
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        var day = calendar.startOfDay(for: Date(timeIntervalSince1970: from))
        var bounds: [Double] = []
        var labels: [String] = []
        while day.timeIntervalSince1970 < to {
            bounds.append(day.timeIntervalSince1970)
            labels.append(formatter.string(from: day))
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        bounds.append(day.timeIntervalSince1970)
        self.bounds = bounds
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The index of the day holding `time`, or nil outside the range.
    public func index(of time: Double) -> Int? {
        guard let first = bounds.first, let last = bounds.last, time >= first, time < last else { return nil }
        var low = 0
        var high = bounds.count - 1
        while high - low > 1 {
            let mid = (low + high) / 2
            if bounds[mid] <= time { low = mid } else { high = mid }
        }
        return low
    }

    /// Local hour 0–23.
    public func hour(of time: Double) -> Int {
        calendar.component(.hour, from: Date(timeIntervalSince1970: time))
    }
}

extension StoreQueryEngine {
    /// Daily statistics over local days from the day holding `from` to the day holding `to`.
    public func statistics(from: Double, to: Double, person: String?, timeZone: TimeZone) throws -> StoreStatistics {
        let days = LocalDays(from: from, to: to, timeZone: timeZone)
        let start = days.bounds.first ?? from
        let end = days.bounds.last ?? to
        typealias E = DiaryEntryRecord.Columns
        typealias P = EpisodeRecord.Columns
        var entryRows = DiaryEntryRecord.effectiveView.select(E.kind, E.at, E.site, E.spasmType, E.severity, E.pain, E.nrs, E.psfs)
            .filter(E.at >= start).filter(E.at < end).filter(["spasm", "checkin"].contains(E.kind))
        let answer: SQLExpression = P.confirmed == nil || P.confirmed == 1
        var episodeRows = EpisodeRecord.confirmedView.select(P.kind, P.start, P.site)
            .filter(P.start >= start).filter(P.start < end).filter(answer)
        if let person {
            entryRows = entryRows.filter(E.person == person)
            episodeRows = episodeRows.filter(P.person == person)
        }
        let (entries, episodes) = try database.main.read { db in
            (try Row.fetchAll(db, entryRows), try Row.fetchAll(db, episodeRows))
        }
        var result = (0..<days.count).map { DailyStatistics(day: days.labels[$0], start: days.bounds[$0]) }
        var severity = Array(repeating: [Int](), count: days.count)
        var pain = Array(repeating: [Int](), count: days.count)
        var nrs = Array(repeating: [Int](), count: days.count)
        var hours = Array(repeating: 0, count: 24)
        var sites: [String: Int] = [:]
        for row in entries {
            let at: Double = row["at"]
            guard let i = days.index(of: at) else { continue }
            let kind: String = row["kind"]
            if kind == "spasm" {
                let type: String = row["spasmType"] ?? "unsure"
                result[i].diary[type, default: 0] += 1
                result[i].diarySpasms += 1
                if let s: Int = row["severity"] { severity[i].append(s) }
                if let p: Int = row["pain"] { pain[i].append(p) }
                hours[days.hour(of: at)] += 1
                if let site: String = row["site"] { sites[site, default: 0] += 1 }
            } else {
                if let n: Int = row["nrs"] { nrs[i].append(n) }
                if let p: Int = row["psfs"] { result[i].psfs = max(result[i].psfs ?? 0, p) }
            }
        }
        for row in episodes {
            let at: Double = row["start"]
            guard let i = days.index(of: at) else { continue }
            let kind: String = row["kind"]
            result[i].detected[kind, default: 0] += 1
            guard kind != EpisodeKind.fall.rawValue else { continue }
            result[i].detectedSpasms += 1
            hours[days.hour(of: at)] += 1
            if let site: String = row["site"] { sites[site, default: 0] += 1 }
        }
        func mean(_ values: [Int]) -> Double? {
            values.isEmpty ? nil : Double(values.reduce(0, +)) / Double(values.count)
        }
        for i in result.indices {
            result[i].severityMean = mean(severity[i])
            result[i].painMean = mean(pain[i])
            result[i].nrs = mean(nrs[i])
        }
        return StoreStatistics(timeZone: timeZone.identifier, days: result, hourOfDay: hours, sites: sites)
    }
}
