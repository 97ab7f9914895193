import Foundation
import SpasmSchema

/// Everything the neurologist's report shows, fetched from the store.
public struct ReportInput: Sendable {
    public var person: String
    /// The period: local days from the one holding `from` to the one holding `to`.
    public var from: Double
    public var to: Double
    public var timeZone: TimeZone
    public var generatedAt: Double
    /// The person's name as the report shows it (config `personName`); nil: the id, unless it is the default.
    public var name: String?
    public var statistics: StoreStatistics
    /// Diary entries in the period (corrections applied).
    public var entries: [StoredEntry]
    /// Every medication entry up to the period's end (for the current medications).
    public var medicationHistory: [StoredEntry]
    public var episodes: [StoredEpisode]
    public var alerts: [StoredAlert]

    public init(
        person: String, from: Double, to: Double, timeZone: TimeZone, generatedAt: Double,
        statistics: StoreStatistics, entries: [StoredEntry], medicationHistory: [StoredEntry],
        episodes: [StoredEpisode], alerts: [StoredAlert], name: String? = nil
    ) {
        self.person = person
        self.name = name
        self.from = from
        self.to = to
        self.timeZone = timeZone
        self.generatedAt = generatedAt
        self.statistics = statistics
        self.entries = entries
        self.medicationHistory = medicationHistory
        self.episodes = episodes
        self.alerts = alerts
    }
}

/// A regimen start, change or stop (a medication or supplement) marked on the time axis.
/// A dose taken and an exercise session are not treatment changes.
public struct TreatmentChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case medication, supplement }
    public var at: Double
    public var kind: Kind
    public var label: String
    /// "baclofen 10 mg started", for the one-line answer.
    public var short: String
}

/// Before/after a treatment change: daily means over up to `window` days on each side.
public struct BeforeAfter: Sendable, Equatable {
    public var change: TreatmentChange
    public var daysBefore: Int
    public var daysAfter: Int
    public var spasmsBefore: Double?
    public var spasmsAfter: Double?
    public var nrsBefore: Double?
    public var nrsAfter: Double?
    /// Relapses and flare-ups inside the before or after window: the comparison may be unfair.
    public var confounders: [String] = []

    /// % change, negative = fewer / lower.
    public var spasmChangePercent: Double? { Self.percent(spasmsBefore, spasmsAfter) }
    public var nrsChangePercent: Double? { Self.percent(nrsBefore, nrsAfter) }
    /// A drop of at least 30% (the usual responder threshold).
    public var spasmResponder: Bool { (spasmChangePercent ?? 0) <= -ReportAnalysis.responderThresholdPercent }
    /// A responder: the NRS fell by at least 30% (the spasm frequency is shown beside it).
    public var nrsResponder: Bool { (nrsChangePercent ?? 0) <= -ReportAnalysis.responderThresholdPercent }

    static func percent(_ before: Double?, _ after: Double?) -> Double? {
        guard let before, let after, before > 0 else { return nil }
        return (after - before) / before * 100
    }
}

/// A shaded period: a relapse (diary) or a flare-up (detection's alert).
public struct ShadedPeriod: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var label: String
}

/// One spasm as the report counts it: logged in the diary, detected by a sensor, or both.
public struct CountedSpasm: Sendable, Equatable {
    public enum Source: String, Sendable { case diary, detected, both }
    /// The diary's time when logged, else the episode's start.
    public var at: Double
    public var site: BodySite?
    public var source: Source
}

/// One local day's spasms from both sources; a pair (logged and detected) counts once in `total`.
public struct DailySpasms: Sendable, Equatable {
    public var diary: Int
    public var detected: Int
    /// Diary spasms matched to a detected episode.
    public var matched: Int
    public var total: Int { diary + detected - matched }

    public init(diary: Int = 0, detected: Int = 0, matched: Int = 0) {
        self.diary = diary
        self.detected = detected
        self.matched = matched
    }
}

/// The report's arithmetic, kept apart from the drawing so tests can check the numbers.
public enum ReportAnalysis {
    /// A diary spasm and a detected episode on the same body site whose times are at most
    /// this far apart are one spasm.
    public static let matchWindowSeconds = 600.0

    /// Every spasm once: each diary spasm with a site is paired with the nearest unpaired
    /// detected episode on the same site within ±`matchWindowSeconds`. Falls and episodes the
    /// person marked "not a spasm" are not spasms. Sorted by time.
    public static func countedSpasms(entries: [StoredEntry], episodes: [StoredEpisode]) -> [CountedSpasm] {
        let detected = episodes.filter { $0.kind != .fall && $0.confirmed != false }.sorted { $0.start < $1.start }
        var paired = Array(repeating: false, count: detected.count)
        var result: [CountedSpasm] = []
        for stored in entries.sorted(by: { $0.at < $1.at }) {
            guard let spasm = stored.entry.spasm else { continue }
            var best: Int?
            if let site = spasm.site {
                for (i, e) in detected.enumerated() where !paired[i] && e.site == site && abs(e.start - spasm.at) <= matchWindowSeconds {
                    if best.map({ abs(detected[$0].start - spasm.at) > abs(e.start - spasm.at) }) ?? true { best = i }
                }
            }
            if let best { paired[best] = true }
            result.append(CountedSpasm(at: spasm.at, site: spasm.site, source: best == nil ? .diary : .both))
        }
        for (i, e) in detected.enumerated() where !paired[i] {
            result.append(CountedSpasm(at: e.start, site: e.site, source: .detected))
        }
        return result.sorted { $0.at < $1.at }
    }

    /// Per local day: diary, detected and matched counts (a pair falls on the diary's day).
    public static func dailySpasms(entries: [StoredEntry], episodes: [StoredEpisode], localDays: LocalDays) -> [DailySpasms] {
        dailySpasms(countedSpasms(entries: entries, episodes: episodes), localDays: localDays)
    }

    public static func dailySpasms(_ spasms: [CountedSpasm], localDays: LocalDays) -> [DailySpasms] {
        var days = Array(repeating: DailySpasms(), count: localDays.count)
        for s in spasms {
            guard let i = localDays.index(of: s.at) else { continue }
            switch s.source {
            case .diary: days[i].diary += 1
            case .detected: days[i].detected += 1
            case .both:
                days[i].diary += 1
                days[i].detected += 1
                days[i].matched += 1
            }
        }
        return days
    }

    public static let responderThresholdPercent = 30.0
    /// Days compared on each side of a change.
    public static let window = 14
    /// Fewer days than this on a side: no comparison.
    public static let minimumDays = 5

    /// Regimen starts, changes and stops (regular, short courses, as needed, supplements).
    /// A dose taken and an exercise session (`log exercise walking 2h`) are not changes.
    public static func treatmentChanges(_ entries: [StoredEntry]) -> [TreatmentChange] {
        var changes: [TreatmentChange] = []
        for stored in entries.sorted(by: { $0.at < $1.at }) {
            guard let m = stored.entry.medication, m.action != .taken else { continue }
            var short = m.name
            if let dose = m.dose { short += " \(Describe.number(dose))" + (m.unit.map { " \($0)" } ?? "") }
            changes.append(
                TreatmentChange(
                    at: m.at, kind: m.supplement ? .supplement : .medication, label: Describe.medication(m),
                    short: short + " \(m.action.rawValue)"))
        }
        return changes
    }

    /// The 30-day answer: spasms a day (each counted once), NRS and severity over the
    /// period's last `recentDays` days, beside the same over up to as many days before.
    public struct Recent: Sendable, Equatable {
        public var days: Int
        public var spasmsPerDay: Double
        public var nrs: Double?
        public var severity: Double?
        public var previousDays: Int
        public var previousSpasmsPerDay: Double?
        public var previousNRS: Double?
        public var spasmChangePercent: Double? { BeforeAfter.percent(previousSpasmsPerDay, spasmsPerDay) }
        public var nrsChangePercent: Double? { BeforeAfter.percent(previousNRS, nrs) }
    }

    public static let recentDays = 30

    public static func recent(days: [DailyStatistics], spasms: [DailySpasms]) -> Recent {
        let count = min(days.count, spasms.count)
        let last = max(0, count - recentDays)..<count
        let previous = max(0, last.lowerBound - recentDays)..<last.lowerBound
        func perDay(_ r: Range<Int>) -> Double? { r.isEmpty ? nil : Double(spasms[r].map(\.total).reduce(0, +)) / Double(r.count) }
        func mean(_ values: [Double], minimum: Int = 1) -> Double? {
            values.count < minimum ? nil : values.reduce(0, +) / Double(values.count)
        }
        return Recent(
            days: last.count, spasmsPerDay: perDay(last) ?? 0, nrs: mean(days[last].compactMap(\.nrs)),
            severity: mean(days[last].compactMap(\.severityMean)), previousDays: previous.count,
            previousSpasmsPerDay: previous.count < minimumDays ? nil : perDay(previous),
            previousNRS: mean(days[previous].compactMap(\.nrs), minimum: minimumDays))
    }

    /// Spasms (each counted once) by local hour of day.
    public static func hours(_ spasms: [CountedSpasm], localDays: LocalDays) -> [Int] {
        var hours = Array(repeating: 0, count: 24)
        for s in spasms where localDays.index(of: s.at) != nil { hours[localDays.hour(of: s.at)] += 1 }
        return hours
    }

    /// The `width` consecutive hours (wrapping past midnight) holding the most spasms: the
    /// first such hour and the count; the earliest wins a tie. Nil with no spasms.
    public static func worstHours(_ hours: [Int], width: Int = 3) -> (start: Int, count: Int)? {
        guard hours.count == 24, hours.contains(where: { $0 > 0 }) else { return nil }
        var best = (start: 0, count: -1)
        for start in 0..<24 {
            let n = (0..<width).map { hours[(start + $0) % 24] }.reduce(0, +)
            if n > best.count { best = (start, n) }
        }
        return best
    }

    /// Names the relapses and flare-ups overlapping the before or after window of `result`.
    public static func confounders(_ result: BeforeAfter, periods: [ShadedPeriod], localDays: LocalDays) -> [String] {
        guard let i = localDays.index(of: result.change.at) else { return [] }
        let bounds = localDays.bounds
        let windows = [
            ("before", bounds[max(0, i - result.daysBefore)], bounds[i]),
            ("after", bounds[min(bounds.count - 1, i + 1)], bounds[min(bounds.count - 1, i + 1 + result.daysAfter)]),
        ]
        var found: [String] = []
        for (side, start, end) in windows where start < end {
            for p in periods.sorted(by: { $0.start < $1.start }) where p.start < end && p.end > start {
                let text = "a \(p.label) in the \(side) window"
                if !found.contains(text) { found.append(text) }
            }
        }
        return found
    }

    /// Daily means before (the days ending the day before the change) and after (the days
    /// starting the day after); spasms per day count a logged-and-detected pair once (`spasms`).
    /// Relapses and flare-ups (`periods`) inside either window are named in `confounders`.
    public static func compare(
        _ change: TreatmentChange, days: [DailyStatistics], spasms: [DailySpasms], localDays: LocalDays,
        periods: [ShadedPeriod] = []
    ) -> BeforeAfter {
        var result = BeforeAfter(change: change, daysBefore: 0, daysAfter: 0)
        guard let i = localDays.index(of: change.at) else { return result }
        let count = min(days.count, spasms.count)
        let before = max(0, i - window)..<min(i, count)
        let after = min(count, i + 1)..<min(count, i + 1 + window)
        result.daysBefore = before.count
        result.daysAfter = after.count
        func mean(_ range: Range<Int>) -> Double? {
            range.count < minimumDays ? nil : Double(spasms[range].map(\.total).reduce(0, +)) / Double(range.count)
        }
        func nrs(_ range: Range<Int>) -> Double? {
            let values = days[range].compactMap(\.nrs)
            return values.count < minimumDays ? nil : values.reduce(0, +) / Double(values.count)
        }
        result.spasmsBefore = mean(before)
        result.spasmsAfter = mean(after)
        result.nrsBefore = nrs(before)
        result.nrsAfter = nrs(after)
        result.confounders = confounders(result, periods: periods, localDays: localDays)
        return result
    }

    /// Regular treatment and supplements in use at `time`: started or changed, not stopped.
    public static func currentMedications(_ history: [StoredEntry], at time: Double) -> [MedicationRecord] {
        var current: [String: MedicationRecord] = [:]
        for stored in history.sorted(by: { $0.at < $1.at }) where stored.at <= time {
            guard let m = stored.entry.medication, m.regimen != .asNeeded else { continue }
            let key = m.name.lowercased()
            switch m.action {
            case .started, .changed: current[key] = m
            case .stopped: current[key] = nil
            case .taken: if current[key] == nil && m.regimen == .regular { current[key] = m }
            }
        }
        return current.values.sorted { $0.name.lowercased() < $1.name.lowercased() }
    }

    /// Relapses from the diary (start to end, or to the period's end) and flare-up alerts (a day each).
    public static func shadedPeriods(entries: [StoredEntry], alerts: [StoredAlert], end: Double) -> [ShadedPeriod] {
        var periods: [ShadedPeriod] = []
        var open: Double?
        for stored in entries.sorted(by: { $0.at < $1.at }) {
            guard let r = stored.entry.relapse else { continue }
            if r.phase == .start {
                if open == nil { open = r.at }
            } else if let start = open {
                periods.append(ShadedPeriod(start: start, end: r.at, label: "relapse"))
                open = nil
            }
        }
        if let start = open { periods.append(ShadedPeriod(start: start, end: end, label: "relapse")) }
        for a in alerts where a.alert.kind == "flare-up" {
            periods.append(ShadedPeriod(start: a.alert.at, end: a.alert.at + 86_400, label: "flare-up"))
        }
        return periods
    }
}
