import Foundation
import SpasmSchema
import SpasmStore
import Testing

@Suite("Store: the neurologist's report")
struct ReportTests {
    /// 40 days: 10 phasic spasms and NRS 6 a day until baclofen starts on 2026-09-21, then
    /// 4 spasms and NRS 3 a day; a relapse from 2026-10-01 to 2026-10-03.
    func seededInput() throws -> (ReportInput, URL) {
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
                entries.append(DiaryEntry(recordedAt: at, via: "test", kind: .spasm,
                                          spasm: SpasmRecord(at: at, site: n % 2 == 0 ? .leftCalf : .rightCalf, type: .phasic, severity: 2)))
            }
            let nrs = midnight < change ? 6 : 3
            entries.append(DiaryEntry(recordedAt: midnight + 20 * 3600, via: "test", kind: .checkin,
                                      checkin: CheckIn(at: midnight + 20 * 3600, nrs: nrs, psfs: 2)))
        }
        entries.append(DiaryEntry(recordedAt: change, via: "test", kind: .medication,
                                  medication: MedicationRecord(at: change, name: "baclofen", dose: 10, unit: "mg", action: .started, regimen: .regular)))
        entries.append(DiaryEntry(recordedAt: change, via: "test", kind: .medication,
                                  medication: MedicationRecord(at: change + 3600, name: "ibuprofen", dose: 200, unit: "mg", action: .taken, regimen: .asNeeded)))
        entries.append(DiaryEntry(recordedAt: 1_700_000_000, via: "test", kind: .relapse,
                                  relapse: RelapseRecord(at: StoreFixtures.utc("2026-10-01T09:00:00Z"), phase: .start)))
        entries.append(DiaryEntry(recordedAt: 1_700_000_000, via: "test", kind: .relapse,
                                  relapse: RelapseRecord(at: StoreFixtures.utc("2026-10-03T09:00:00Z"), phase: .end)))
        try ingestor.store(try entries.map { try StoreFixtures.entry($0) })

        let engine = StoreQueryEngine(database: database, timeZone: .gmt)
        let (from, to) = (first, first + 40 * 86_400)
        let input = ReportInput(
            person: "me", from: from, to: to, timeZone: .gmt, generatedAt: to,
            statistics: try #require(engine.answer(StoreRequest(query: .statistics, from: from, to: to)).statistics),
            entries: engine.answer(StoreRequest(query: .entries, from: from, to: to)).entries ?? [],
            medicationHistory: engine.answer(StoreRequest(query: .entries, to: to, kinds: ["medication"])).entries ?? [],
            episodes: [], alerts: [])
        return (input, dir)
    }

    @Test func beforeAfterComparisonFlagsTheResponder() throws {
        let (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        let changes = ReportAnalysis.treatmentChanges(input.entries)
        #expect(changes.map(\.label) == ["baclofen 10 mg started (regular)"], "an as-needed dose taken is not a change")
        let days = LocalDays(from: input.from, to: input.to, timeZone: .gmt)
        let result = ReportAnalysis.compare(changes[0], days: input.statistics.days, localDays: days)
        #expect(result.daysBefore == 14 && result.daysAfter == 14)
        #expect(result.spasmsBefore == 10)
        #expect(result.spasmsAfter == 4)
        #expect(result.spasmChangePercent == -60)
        #expect(result.nrsChangePercent == -50)
        #expect(result.spasmResponder && result.nrsResponder)
    }

    @Test func interruptedEpisodesAreShownAsSuch() throws {
        var (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        try #expect(!ReportBuilder.html(input).contains("Interrupted episodes"), "nothing to say when there are none")
        let t = StoreFixtures.utc("2026-09-05T10:00:00Z")
        input.episodes = [StoredEpisode(person: "me", episodeId: UUID(), kind: .tonic, sensorId: "calf", site: .leftCalf, start: t,
                                        end: t + 40, detectedAt: t + 2, confidence: 0.8, peak: nil, dominantFrequencyHz: nil,
                                        confirmed: nil, interrupted: true)]
        let html = try ReportBuilder.html(input)
        #expect(html.contains("Interrupted episodes <b id=\"interrupted\">1</b>"))
        #expect(html.contains("detection stopped (a crash or a restart) while they were open"))
    }

    @Test func theReportRendersWithTheExpectedNumbers() throws {
        let (input, dir) = try seededInput()
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = try ReportBuilder.html(input)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("Period: <b>2026-09-01 – 2026-10-10</b> (40 days"))
        #expect(html.contains("Current medications: baclofen 10 mg started (regular)"))
        #expect(html.contains("<b id=\"total-diary\">286</b>"), "21 days × 10 + 19 days × 4")
        #expect(html.contains("10.0 → 4.0"))
        #expect(html.contains("-60% ✓ ≥30% drop"))
        #expect(html.contains("6.0 → 3.0"))
        #expect(html.contains("-50% ✓ ≥30% drop"))
        #expect(html.contains("<td>relapse</td><td>2026-10-01 09:00</td><td>2026-10-03 09:00</td>"))
        #expect(html.components(separatedBy: "<svg").count - 1 >= 4, "charts are inline SVG")
        #expect(html.contains("@media print") && html.contains("size: A4"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"),
                "self-contained: no scripts, nothing loaded from elsewhere")
        #expect(html.contains("left calf"))
    }
}
