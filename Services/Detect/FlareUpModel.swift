import Foundation
import SpasmSchema

/// The flare-up rule, as pure logic over what the person recorded and what was detected:
/// daily spasm counts against the person's own baseline (BRIEF §1, issue 5 §3).
///
/// - A spasm is a diary spasm or a detected episode the person did not reject; a diary
///   entry and a detected episode on the same limb within 5 minutes count once.
/// - Baseline: up to 28 days before the last 48 hours, leaving out days in a known relapse,
///   and restarting at a change of regular medication. Fewer than 14 days: still learning.
/// - A flare-up: the last 48 hours at ≥ 2× the baseline rate, significant by a one-sided
///   Poisson test (p < 0.01), with each of the two days above the usual rate.
/// - No alert during a known relapse.
struct FlareUpModel: Codable, Sendable, Equatable {
    struct Spasm: Codable, Sendable, Equatable {
        var id: UUID
        var time: Double
        var limb: String?
        var detected: Bool
        var rejected: Bool = false
    }

    struct Relapse: Codable, Sendable, Equatable {
        var start: Double
        var end: Double?
    }

    enum Verdict: Equatable, Sendable {
        case learning(days: Int, of: Int)
        case inRelapse
        case usual(baselinePerDay: Double, ratio: Double)
        case flareUp(ratio: Double, baselinePerDay: Double, last48h: Int, pValue: Double)
    }

    static let requiredBaselineDays = 14
    static let baselineWindowDays = 28
    static let duplicateWindow: Double = 300

    /// When monitoring began (days before it have no data, so they are not zero-days).
    var monitoringSince: Double
    var spasms: [Spasm] = []
    var relapses: [Relapse] = []
    /// Times of changes of regular medication (started, stopped, changed).
    var medicationChanges: [Double] = []
    /// When the last flare-up alert went out.
    var lastAlertAt: Double?

    // MARK: Recording

    mutating func addDiarySpasm(id: UUID, at time: Double, site: BodySite?) {
        guard !spasms.contains(where: { $0.id == id }) else { return }
        spasms.append(Spasm(id: id, time: time, limb: (site?.limb ?? site)?.rawValue, detected: false))
    }

    mutating func addDetectedEpisode(id: UUID, at time: Double, site: BodySite?) {
        guard !spasms.contains(where: { $0.id == id }) else { return }
        spasms.append(Spasm(id: id, time: time, limb: (site?.limb ?? site)?.rawValue, detected: true))
    }

    mutating func confirm(episodeId: UUID, wasSpasm: Bool) {
        for i in spasms.indices where spasms[i].id == episodeId { spasms[i].rejected = !wasSpasm }
    }

    mutating func retract(entryId: UUID) {
        spasms.removeAll { $0.id == entryId }
    }

    mutating func relapse(_ phase: RelapseRecord.Phase, at time: Double) {
        switch phase {
        case .start:
            if relapses.last.map({ $0.end != nil }) ?? true { relapses.append(Relapse(start: time)) }
        case .end:
            if let i = relapses.indices.last, relapses[i].end == nil {
                relapses[i].end = time
            } else {
                relapses.append(Relapse(start: time - 86_400, end: time))
            }
        }
    }

    mutating func regularMedicationChanged(at time: Double) { medicationChanges.append(time) }

    /// Forgets what no rule needs any more (older than 60 days).
    mutating func prune(now: Double) {
        let horizon = now - 60 * 86_400
        spasms.removeAll { $0.time < horizon }
        relapses.removeAll { ($0.end ?? .infinity) < horizon }
        medicationChanges.removeAll { $0 < horizon }
    }

    // MARK: Counting

    /// Spasm times that count: not rejected, and a detected episode within 5 minutes of a
    /// diary spasm on the same limb is the same spasm.
    func countedTimes() -> [Double] {
        let diary = spasms.filter { !$0.detected && !$0.rejected }
        var times = diary.map(\.time)
        for episode in spasms where episode.detected && !episode.rejected {
            let duplicate = diary.contains { abs($0.time - episode.time) <= Self.duplicateWindow && ($0.limb == nil || $0.limb == episode.limb) }
            if !duplicate { times.append(episode.time) }
        }
        return times.sorted()
    }

    func inRelapse(at time: Double) -> Bool {
        relapses.contains { $0.start <= time && time < ($0.end ?? .infinity) }
    }

    /// Local days (start times) of the baseline: before the last 48 h, after monitoring
    /// began and after the last regular-medication change, not in a relapse, at most 28.
    func baselineDays(now: Double, calendar: Calendar) -> [Double] {
        let windowStart = now - 2 * 86_400
        let floor = max(monitoringSince, medicationChanges.filter { $0 <= now }.max() ?? -.infinity)
        var days: [Double] = []
        var dayEnd = calendar.startOfDay(for: Date(timeIntervalSince1970: windowStart)).timeIntervalSince1970
        while days.count < Self.baselineWindowDays {
            guard let startDate = calendar.date(byAdding: .day, value: -1, to: Date(timeIntervalSince1970: dayEnd)) else { break }
            let dayStart = startDate.timeIntervalSince1970
            if dayStart < floor { break }
            let relapseDay = relapses.contains { $0.start < dayEnd && ($0.end ?? .infinity) > dayStart }
            if !relapseDay { days.append(dayStart) }
            dayEnd = dayStart
            if now - dayStart > 120 * 86_400 { break }
        }
        return days
    }

    func evaluate(now: Double, calendar: Calendar) -> Verdict {
        if inRelapse(at: now) { return .inRelapse }
        let days = baselineDays(now: now, calendar: calendar)
        if days.count < Self.requiredBaselineDays { return .learning(days: days.count, of: Self.requiredBaselineDays) }
        let times = countedTimes()
        var baselineCount = 0
        for dayStart in days {
            let dayEnd = calendar.date(byAdding: .day, value: 1, to: Date(timeIntervalSince1970: dayStart))!.timeIntervalSince1970
            baselineCount += times.filter { $0 >= dayStart && $0 < dayEnd }.count
        }
        let perDay = Double(baselineCount) / Double(days.count)
        let firstDay = times.filter { $0 >= now - 2 * 86_400 && $0 < now - 86_400 }.count
        let secondDay = times.filter { $0 >= now - 86_400 && $0 <= now }.count
        let recent = firstDay + secondDay
        // With no spasms at all in the baseline, use half a spasm over the period as the rate.
        let rate = max(perDay, 0.5 / Double(days.count))
        let expected = 2 * rate
        let ratio = Double(recent) / expected
        let p = Self.poissonUpperTail(atLeast: recent, mean: expected)
        if ratio >= 2 && p < 0.01 && Double(firstDay) > rate && Double(secondDay) > rate {
            return .flareUp(ratio: ratio, baselinePerDay: perDay, last48h: recent, pValue: p)
        }
        return .usual(baselinePerDay: perDay, ratio: ratio)
    }

    /// P(X ≥ k) for X ~ Poisson(mean), summed in log space.
    static func poissonUpperTail(atLeast k: Int, mean: Double) -> Double {
        guard k > 0 else { return 1 }
        var cdf = 0.0
        var term = exp(-mean)
        for i in 0..<k {
            if i > 0 { term *= mean / Double(i) }
            cdf += term
        }
        return max(0, 1 - cdf)
    }

    /// The words a person reads.
    static func message(ratio: Double) -> String {
        "Spasms are \(String(format: "%.1f", ratio))× your usual rate for 2 days. A relapse is new or worse symptoms lasting more than 24 hours; consider calling your MS team."
    }
}
