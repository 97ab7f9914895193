import Foundation
import SpasmBus
import SpasmSchema
import Testing

@testable import SpasmStore

@Suite("Store: the neurologist's report")
struct ReportTests {
    /// 40 days: 10 phasic spasms and NRS 6 a day until baclofen starts on 2026-09-21, then
    /// 4 spasms and NRS 3 a day; a relapse from 2026-10-01 to 2026-10-03. With `alsoDetected`,
    /// the sensors detect every one of those spasms too, 5 minutes after the diary time, on the same limb.
    func seededInput(alsoDetected: Bool = false) throws -> (ReportInput, URL) {
        let (database, dir) = try StoreFixtures.database("report")
        let ingestor = StoreIngestor(database: database)
        let first = StoreFixtures.utc("2026-09-01T00:00:00Z")
        let change = StoreFixtures.utc("2026-09-21T08:00:00Z")
        var entries: [DiaryEntry] = []
        for day in 0..<40 {
            let midnight = first + Double(day) * 86_400
            let count = midnight < change - 8 * 3600 + 86_400 ? 10 : 4
            for n in 0..<count {
                let at = midnight + 3600 * Double(8 + n)
                entries.append(
                    DiaryEntry(
                        recordedAt: at, via: "test", kind: .spasm,
                        spasm: SpasmRecord(at: at, site: n % 2 == 0 ? .leftCalf : .rightCalf, type: .phasic, severity: 2)))
            }
            let nrs = midnight < change ? 6 : 3
            entries.append(
                DiaryEntry(
                    recordedAt: midnight + 20 * 3600, via: "test", kind: .checkin,
                    checkin: CheckIn(at: midnight + 20 * 3600, nrs: nrs, psfs: 2)))
        }
        entries.append(
            DiaryEntry(
                recordedAt: change, via: "test", kind: .medication,
                medication: MedicationRecord(at: change, name: "baclofen", dose: 10, unit: "mg", action: .started, regimen: .regular)))
        entries.append(
            DiaryEntry(
                recordedAt: change, via: "test", kind: .medication,
                medication: MedicationRecord(at: change + 3600, name: "ibuprofen", dose: 200, unit: "mg", action: .taken, regimen: .asNeeded)))
        entries.append(
            DiaryEntry(
                recordedAt: 1_700_000_000, via: "test", kind: .relapse,
                relapse: RelapseRecord(at: StoreFixtures.utc("2026-10-01T09:00:00Z"), phase: .start)))
        entries.append(
            DiaryEntry(
                recordedAt: 1_700_000_000, via: "test", kind: .relapse,
                relapse: RelapseRecord(at: StoreFixtures.utc("2026-10-03T09:00:00Z"), phase: .end)))
        try ingestor.store(try entries.map { try StoreFixtures.entry($0) })
        if alsoDetected {
            var messages: [BusMessage] = []
            for entry in entries {
                guard let spasm = entry.spasm else { continue }
                let id = UUID()
                let start = spasm.at + 300
                for phase in [EpisodeEvent.Phase.onset, .end] {
                    let event = EpisodeEvent(
                        episodeId: id, phase: phase, kind: .phasic, sensorId: "calf", site: spasm.site, start: start,
                        end: phase == .end ? start + 4 : nil, detectedAt: start + 2, confidence: 0.9)
                    messages.append(try StoreFixtures.message(event, topic: Topic.episode("phasic"), source: "detect-0"))
                }
            }
            try ingestor.store(messages)
        }

        let engine = StoreQueryEngine(database: database, timeZone: .gmt)
        let (from, to) = (first, first + 40 * 86_400)
        let input = ReportInput(
            person: "me", from: from, to: to, timeZone: .gmt, generatedAt: to,
            statistics: try #require(engine.answer(StoreRequest(query: .statistics, from: from, to: to)).statistics),
            entries: engine.answer(StoreRequest(query: .entries, from: from, to: to)).entries ?? [],
            medicationHistory: engine.answer(StoreRequest(query: .entries, to: to, kinds: ["medication"])).entries ?? [],
            episodes: engine.answer(StoreRequest(query: .episodes, from: from, to: to)).episodes ?? [], alerts: [])
        return (input, dir)
    }

    @Test func beforeAfterComparisonFlagsTheResponder() throws {
        let (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        let changes = ReportAnalysis.treatmentChanges(input.entries)
        #expect(changes.map(\.label) == ["baclofen 10 mg started (regular)"], "an as-needed dose taken is not a change")
        let days = LocalDays(from: input.from, to: input.to, timeZone: .gmt)
        let spasms = ReportAnalysis.dailySpasms(entries: input.entries, episodes: input.episodes, localDays: days)
        let result = ReportAnalysis.compare(changes[0], days: input.statistics.days, spasms: spasms, localDays: days)
        #expect(result.daysBefore == 14 && result.daysAfter == 14)
        #expect(result.spasmsBefore == 10)
        #expect(result.spasmsAfter == 4)
        #expect(result.spasmChangePercent == -60)
        #expect(result.nrsChangePercent == -50)
        #expect(result.spasmResponder && result.nrsResponder)
    }

    /// A spasm logged in the diary and detected by a sensor is one spasm: before/after and the
    /// totals count the pair once, and the report still shows both sources.
    @Test func aSpasmBothLoggedAndDetectedCountsOnce() throws {
        let (input, dir) = try seededInput(alsoDetected: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = try ReportBuilder.html(input)
        #expect(html.contains("<b id=\"total-diary\">286</b>"), "both sources shown: 286 in the diary")
        #expect(html.contains("<b id=\"total-detected\">286</b>"), "and 286 detected")
        #expect(html.contains("<b id=\"total-matched\">286</b>"), "every one of them is a pair")
        #expect(html.contains("<b id=\"total-spasms\">286</b>"), "counted once")
        #expect(html.contains("10.0 → 4.0"), "before/after counts each pair once, not 20.0 → 8.0")
        #expect(!html.contains("20.0 → 8.0"))
    }

    /// Hand-worked: on one day, a diary spasm at 10:00 (left calf) and a detection at 10:05
    /// (left calf) are one spasm; 12:00 right calf vs 12:03 left calf are two (another limb);
    /// 14:00 vs 14:11 on the left calf are two (11 minutes apart, beyond ±10).
    @Test func matchingIsSameLimbWithinTenMinutes() throws {
        let t = StoreFixtures.utc("2026-09-01T00:00:00Z")
        func diary(_ hour: Double, _ site: BodySite) -> StoredEntry {
            let e = DiaryEntry(
                recordedAt: t + hour * 3600, via: "test", kind: .spasm, spasm: SpasmRecord(at: t + hour * 3600, site: site, type: .tonic, severity: 2)
            )
            return StoredEntry(person: "me", entry: e, at: t + hour * 3600)
        }
        func detected(_ hour: Double, _ site: BodySite) -> StoredEpisode {
            StoredEpisode(
                person: "me", episodeId: UUID(), kind: .tonic, sensorId: "calf", site: site, start: t + hour * 3600, end: t + hour * 3600 + 10,
                detectedAt: t + hour * 3600 + 2, confidence: 0.9, peak: nil, dominantFrequencyHz: nil, confirmed: nil)
        }
        let entries = [diary(10, .leftCalf), diary(12, .rightCalf), diary(14, .leftCalf)]
        let episodes = [detected(10 + 5.0 / 60, .leftCalf), detected(12 + 3.0 / 60, .leftCalf), detected(14 + 11.0 / 60, .leftCalf)]
        let days = LocalDays(from: t, to: t + 2 * 86_400, timeZone: .gmt)
        let counts = ReportAnalysis.dailySpasms(entries: entries, episodes: episodes, localDays: days)
        #expect(counts.count == 2)
        #expect(counts[0] == DailySpasms(diary: 3, detected: 3, matched: 1))
        #expect(counts[0].total == 5)
        #expect(counts[1].total == 0)
        #expect(ReportAnalysis.matchWindowSeconds == 600)
    }

    @Test func interruptedEpisodesAreShownAsSuch() throws {
        var (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        try #expect(!ReportBuilder.html(input).contains("Interrupted episodes"), "nothing to say when there are none")
        let t = StoreFixtures.utc("2026-09-05T10:00:00Z")
        input.episodes = [
            StoredEpisode(
                person: "me", episodeId: UUID(), kind: .tonic, sensorId: "calf", site: .leftCalf, start: t,
                end: t + 40, detectedAt: t + 2, confidence: 0.8, peak: nil, dominantFrequencyHz: nil,
                confirmed: nil, interrupted: true)
        ]
        let html = try ReportBuilder.html(input)
        #expect(html.contains("Interrupted episodes <b id=\"interrupted\">1</b>"))
        #expect(html.contains("detection stopped (a crash or a restart) while they were open"))
    }

    @Test func theReportRendersWithTheExpectedNumbers() throws {
        let (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = try ReportBuilder.html(input)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("Period: <b class=\"date\">2026-09-01 – 2026-10-10</b> (40 days"))
        #expect(html.contains("Current medications: baclofen 10 mg started (regular)"))
        #expect(html.contains("<b id=\"total-diary\">286</b>"), "21 days × 10 + 19 days × 4")
        #expect(html.contains("10.0 → 4.0"))
        #expect(html.contains("6.0 → 3.0"))
        #expect(html.contains("−50% responder"), "a responder: the NRS fell by at least 30%")
        #expect(html.contains("<td class=\"num\">−60%</td>"), "the spasm frequency change beside it")
        #expect(html.contains("<td>relapse</td><td class=\"date\">2026-10-01 09:00</td><td class=\"date\">2026-10-03 09:00</td>"))
        #expect(html.components(separatedBy: "<svg").count - 1 >= 5, "charts are inline SVG")
        #expect(html.contains("@media print") && html.contains("size: A4"))
        #expect(
            !html.contains("<script") && !html.contains("src=") && !html.contains("<link"),
            "self-contained: no scripts, nothing loaded from elsewhere")
        #expect(html.contains("left calf"))
    }

    /// Page 1 answers first, by hand from the seeded 40 days (days 0–20: 10 spasms a day at
    /// 08:00–17:00, NRS 6; days 21–39: 4 spasms at 08:00–11:00, NRS 3; severity 2 throughout):
    /// the last 30 days are days 10–39: (11 × 10 + 19 × 4) / 30 = 6.2 spasms a day, against
    /// 10.0 on the 10 days before (−38%); NRS (11 × 6 + 19 × 3) / 30 = 4.1 against 6.0 (−32%).
    /// 08–11 h holds 3 × 40 = 120 of 286 spasms (42%). Baclofen: NRS 6.0 → 3.0 (−50%), spasms
    /// 10.0 → 4.0 (−60%), with the relapse of 1–3 Oct inside its after window (22 Sep – 5 Oct).
    @Test func pageOneAnswersFirst() throws {
        let (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = try ReportBuilder.html(input)
        #expect(
            html.contains(
                "<p id=\"answer-often\"><b>How often, how bad:</b> 6.2 spasms a day over the last 30 days (the 10 days before: 10.0, −38%); NRS 4.1 (6.0, −32%); severity 2.0 of 3</p>"
            ))
        #expect(html.contains("<p id=\"answer-when\"><b>When:</b> most between 08:00 and 11:00 (42% of spasms, in 3 of 24 hours)</p>"))
        #expect(
            html.contains(
                "<p id=\"answer-change\"><b>Last treatment change:</b> Since baclofen 10 mg started (21 Sep): NRS 6.0 → 3.0 (−50%): responder; spasms 10.0 → 4.0 a day (−60%). Unfair comparison: a relapse in the after window</p>"
            ))
        let pageBreak = try #require(html.range(of: "<div class=\"page\">"))
        for text in ["answer-often", "answer-when", "answer-change", "Treatment changes: before and after", "10.0 → 4.0"] {
            #expect(html.range(of: text).map { $0.upperBound < pageBreak.lowerBound } == true, "\(text) is on page 1")
        }
        #expect(html.range(of: "<svg").map { $0.lowerBound > pageBreak.lowerBound } == true, "the charts follow on page 2")
        #expect(ReportAnalysis.worstHours([Int](repeating: 0, count: 24)) == nil)
        var wrap = [Int](repeating: 0, count: 24)
        wrap[23] = 5
        wrap[0] = 5
        wrap[1] = 5
        wrap[12] = 9
        #expect(ReportAnalysis.worstHours(wrap).map { [$0.start, $0.count] } == [23, 15], "the window wraps past midnight")
    }

    /// A relapse or flare-up inside a before or after window is named beside the figure; an
    /// exercise session or a dose taken is not a treatment change.
    @Test func anUnfairComparisonIsFlaggedAndSessionsAreNotChanges() throws {
        var (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        let walk = DiaryEntry(
            recordedAt: StoreFixtures.utc("2026-09-10T10:00:00Z"), via: "test", kind: .exercise,
            exercise: ExerciseRecord(at: StoreFixtures.utc("2026-09-10T10:00:00Z"), activity: "walking", minutes: 120))
        input.entries.append(StoredEntry(person: "me", entry: walk, at: walk.recordedAt))
        let changes = ReportAnalysis.treatmentChanges(input.entries)
        #expect(changes.map(\.short) == ["baclofen 10 mg started"], "walking 2 h is a session, not a change")
        let days = LocalDays(from: input.from, to: input.to, timeZone: .gmt)
        let spasms = ReportAnalysis.dailySpasms(entries: input.entries, episodes: input.episodes, localDays: days)
        let relapse = ShadedPeriod(start: StoreFixtures.utc("2026-10-01T09:00:00Z"), end: StoreFixtures.utc("2026-10-03T09:00:00Z"), label: "relapse")
        let flare = ShadedPeriod(start: StoreFixtures.utc("2026-09-15T21:00:00Z"), end: StoreFixtures.utc("2026-09-16T21:00:00Z"), label: "flare-up")
        let late = ShadedPeriod(start: StoreFixtures.utc("2026-10-07T00:00:00Z"), end: StoreFixtures.utc("2026-10-08T00:00:00Z"), label: "relapse")
        let compared = ReportAnalysis.compare(
            changes[0], days: input.statistics.days, spasms: spasms, localDays: days, periods: [relapse, flare, late])
        #expect(
            compared.confounders == ["a flare-up in the before window", "a relapse in the after window"],
            "the relapse of 7 Oct is after the window (22 Sep – 5 Oct)")
        #expect(ReportAnalysis.compare(changes[0], days: input.statistics.days, spasms: spasms, localDays: days, periods: [late]).confounders.isEmpty)
        let html = try ReportBuilder.html(input)
        #expect(html.contains("<span class=\"unfair\">⚠ a relapse in the after window: the comparison may be unfair</span>"))
        #expect(!html.contains("walking"), "no marker, no row for a session")
    }

    /// Weekly bars with round ticks, severity on its own 1–3 axis, one label for changes on
    /// one day, dates that do not wrap, the configured name.
    func ticks(_ value: Double) -> [Double] {
        let t = SVGChart.niceTicks(value)
        return [t.maximum, Double(t.steps)]
    }

    @Test func readableCharts() throws {
        #expect(ticks(25) == [25, 5])
        #expect(ticks(12.5) == [15, 3])
        #expect(ticks(18.8) == [20, 4])
        #expect(ticks(3) == [3, 3])
        #expect(ticks(130) == [150, 3])
        var (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        let change = StoreFixtures.utc("2026-09-21T08:00:00Z")
        let vitamin = DiaryEntry(
            recordedAt: change, via: "test", kind: .medication,
            medication: MedicationRecord(
                at: change + 1800, name: "vitamin D", dose: 1000, unit: "IU", action: .started, regimen: .regular, supplement: true))
        input.entries.append(StoredEntry(person: "me", entry: vitamin, at: change + 1800))
        input.name = "Anna Example"
        let html = try ReportBuilder.html(input)
        #expect(html.components(separatedBy: "<title>week of").count - 1 == 6, "40 days: 6 weekly bars (diary only here), not 40 daily ones")
        #expect(html.contains(">1, 2</text>"), "two changes on one day share one label")
        #expect(!html.contains("fill=\"#1565c0\">1</text>") && !html.contains("fill=\"#1565c0\">2</text>"), "no labels piled on one another")
        #expect(html.contains("aria-label=\"severity\"") && !html.contains("3.33"), "severity on its own axis")
        #expect(html.contains(".date { white-space: nowrap; }"))
        #expect(html.contains("<td class=\"date\">2026-09-21</td>"))
        #expect(html.contains("<h1>Spasm report — <span id=\"person\">Anna Example</span></h1>"))
        input.name = nil
        let unnamed = try ReportBuilder.html(input)
        #expect(!unnamed.contains(">me<") && !unnamed.contains("— me"), "the default id \"me\" is not a name")
    }
}
