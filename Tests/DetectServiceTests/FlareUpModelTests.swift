import Foundation
import SpasmSchema
import Testing

@testable import spasmwatch_detect

/// Flare-ups on seeded diaries: baseline learning, a flare, relapses, medication changes.
@Suite("Flare-up rule")
struct FlareUpModelTests {
    let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "Europe/Berlin")!
        return c
    }()
    /// Noon, 1 December 2026, Berlin.
    let now: Double = 1_796_122_800

    /// `perDay` diary spasms a day for `days` days before `now - 2 days`, and `recent` in
    /// each of the last two days.
    func model(baselineDays days: Int, perDay: Int, recentPerDay: Int) -> FlareUpModel {
        var model = FlareUpModel(monitoringSince: now - Double(days + 3) * 86_400)
        for d in 0..<(days + 2) {
            let dayStart = now - Double(d + 1) * 86_400
            let count = d < 2 ? recentPerDay : perDay
            for i in 0..<count {
                model.addDiarySpasm(id: UUID(), at: dayStart + 3600 + Double(i) * 600, site: .leftCalf)
            }
        }
        return model
    }

    @Test func learnsForFourteenDaysFirst() {
        let m = model(baselineDays: 9, perDay: 3, recentPerDay: 20)
        #expect(m.evaluate(now: now, calendar: calendar) == .learning(days: 9, of: 14))
    }

    @Test func aTripledRateForTwoDaysIsAFlareUp() {
        let m = model(baselineDays: 20, perDay: 3, recentPerDay: 10)
        guard case .flareUp(let ratio, let perDay, let count, let p) = m.evaluate(now: now, calendar: calendar) else {
            Issue.record("expected a flare-up")
            return
        }
        #expect(perDay == 3)
        #expect(count == 20)
        #expect(abs(ratio - 20.0 / 6.0) < 1e-9)
        #expect(p < 0.01)
        #expect(FlareUpModel.message(ratio: ratio).hasPrefix("Spasms are 3.3× your usual rate for 2 days."))
    }

    @Test func theUsualRateIsNotAFlareUp() {
        let m = model(baselineDays: 20, perDay: 3, recentPerDay: 4)
        guard case .usual(let perDay, _) = m.evaluate(now: now, calendar: calendar) else {
            Issue.record("expected usual")
            return
        }
        #expect(perDay == 3)
    }

    @Test func aOneDayBurstIsNotTwoDays() {
        var m = model(baselineDays: 20, perDay: 3, recentPerDay: 0)
        for i in 0..<30 { m.addDiarySpasm(id: UUID(), at: now - 3600 - Double(i) * 60, site: .leftCalf) }
        if case .flareUp = m.evaluate(now: now, calendar: calendar) { Issue.record("one day only must not alert") }
    }

    @Test func noAlertDuringAKnownRelapseAndRelapseDaysLeaveTheBaseline() {
        var m = model(baselineDays: 20, perDay: 3, recentPerDay: 10)
        m.relapse(.start, at: now - 86_400)
        #expect(m.evaluate(now: now, calendar: calendar) == .inRelapse)
        var ended = model(baselineDays: 20, perDay: 3, recentPerDay: 3)
        ended.relapse(.start, at: now - 10 * 86_400)
        ended.relapse(.end, at: now - 6 * 86_400)
        #expect(ended.baselineDays(now: now, calendar: calendar).count == 20 - 5)
    }

    @Test func aChangeOfRegularMedicationRestartsTheBaseline() {
        var m = model(baselineDays: 20, perDay: 3, recentPerDay: 10)
        m.regularMedicationChanged(at: now - 5 * 86_400)
        #expect(m.evaluate(now: now, calendar: calendar) == .learning(days: 2, of: 14))
    }

    @Test func rejectedEpisodesDoNotCountAndDuplicatesCountOnce() {
        var m = FlareUpModel(monitoringSince: now - 86_400)
        let episode = UUID()
        let rejected = UUID()
        m.addDiarySpasm(id: UUID(), at: now - 1000, site: .leftCalf)
        m.addDetectedEpisode(id: episode, at: now - 1100, site: .leftAnkle)  // same leg, 100 s apart: one spasm
        m.addDetectedEpisode(id: UUID(), at: now - 1100, site: .rightAnkle)  // other leg: its own
        m.addDetectedEpisode(id: rejected, at: now - 5000, site: .leftCalf)
        m.confirm(episodeId: rejected, wasSpasm: false)
        #expect(m.countedTimes().count == 2)
    }

    @Test func poissonTail() {
        #expect(abs(FlareUpModel.poissonUpperTail(atLeast: 1, mean: 1) - (1 - exp(-1))) < 1e-12)
        #expect(FlareUpModel.poissonUpperTail(atLeast: 0, mean: 3) == 1)
        #expect(FlareUpModel.poissonUpperTail(atLeast: 20, mean: 6) < 1e-4)
    }
}

@Suite("Sharding and learning")
struct ShardingAndLearningTests {
    @Test func shardsSplitSensorsStably() throws {
        let a = try SensorShard(parsing: "0/2")
        let b = try SensorShard(parsing: "1/2")
        let ids = (0..<100).map { "sensor-\($0)" }
        #expect(ids.allSatisfy { a.owns($0) != b.owns($0) })
        #expect(ids.filter { a.owns($0) }.count > 20)
        #expect(throws: (any Error).self) { try SensorShard(parsing: "2/2") }
        #expect(try SensorShard(parsing: nil).owns("anything"))
    }

    @Test func answersMoveSensitivityWithinBoundsAndPersist() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("learn-\(UUID()).sqlite")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: url.path + suffix) } }
        let store = SensitivityStore(table: try OpenEpisodeLog.open(url: url).state, logger: .init(label: "t"))
        let episode = UUID()
        store.remember(episodeId: episode, .init(sensorId: "ankle", kind: "clonus", start: 100, limb: "right-leg"))
        #expect(store.apply(confirmation: episode, wasSpasm: false, at: 200) == "ankle")
        #expect(abs(store.offset(for: "ankle") + 0.1) < 1e-9)
        for _ in 0..<20 { store.apply(confirmation: episode, wasSpasm: false, at: 300) }
        #expect(store.offset(for: "ankle") == SensitivityStore.bounds.lowerBound)
        #expect(store.apply(confirmation: UUID(), wasSpasm: false, at: 400) == nil, "unknown episode: nothing changes")
        let reloaded = SensitivityStore(table: try OpenEpisodeLog.open(url: url).state, logger: .init(label: "t"))
        #expect(reloaded.offset(for: "ankle") == SensitivityStore.bounds.lowerBound)
        #expect(reloaded.settings(for: "ankle").sensitivityOffset == SensitivityStore.bounds.lowerBound)
        #expect(reloaded.settings(for: "other").sensitivityOffset == 0)
    }
}
