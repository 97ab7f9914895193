import Foundation
import SpasmSchema
import SpasmStore
import Testing

/// A seeded diary, episodes and alerts around the end of daylight saving in Berlin
/// (2026-10-25 has 25 hours), with answers worked out by hand.
@Suite("Store: queries and statistics")
struct QueryTests {
    let berlin = TimeZone(identifier: "Europe/Berlin")!

    func seeded() throws -> (StoreQueryEngine, [String: UUID]) {
        let database = try StoreFixtures.inMemory()
        let ingestor = StoreIngestor(database: database)
        let s5 = StoreFixtures.spasm("2026-10-25T12:00:00Z", .phasic, severity: 2, site: .leftCalf)
        let s6 = StoreFixtures.spasm("2026-10-26T07:00:00Z", .phasic, severity: 1)
        let s7 = StoreFixtures.spasm("2026-10-26T07:00:00Z", .tonic, severity: 2, site: .leftThigh)
        var messages = try [
            StoreFixtures.spasm("2026-10-24T10:00:00Z", .phasic, severity: 2, site: .leftCalf, pain: 4),  // 12:00 CEST
            StoreFixtures.spasm("2026-10-24T18:00:00Z", .tonic, severity: 3, site: .rightCalf, pain: 6),  // 20:00 CEST
            StoreFixtures.spasm("2026-10-25T08:00:00Z", .clonus, severity: 1, site: .leftAnkle),  // 09:00 CET
            StoreFixtures.spasm("2026-10-25T22:30:00Z", .cramp, severity: 2, site: .leftCalf),  // 23:30 CET, still the 25th
            s5, s6, s7,
            DiaryEntry(
                recordedAt: 1_700_000_001, via: "test", kind: .correction, correction: CorrectionRecord(targetEntryId: s5.entryId, action: .retract)),
            DiaryEntry(
                recordedAt: 1_700_000_002, via: "test", kind: .correction,
                correction: CorrectionRecord(targetEntryId: s6.entryId, action: .replace, replacementEntryId: s7.entryId)),
            StoreFixtures.checkin("2026-10-24T19:00:00Z", nrs: 6, psfs: 3),
            StoreFixtures.checkin("2026-10-24T20:00:00Z", nrs: 4, psfs: 2),
            StoreFixtures.checkin("2026-10-25T19:00:00Z", nrs: 3),
        ].map { try StoreFixtures.entry($0) }
        let a = UUID()
        let b = UUID()
        let c = UUID()
        let d = UUID()
        messages += [
            try StoreFixtures.episode(a, .onset, .clonus, start: "2026-10-24T11:00:00Z", site: .leftAnkle),  // 13:00 CEST
            try StoreFixtures.episode(a, .end, .clonus, start: "2026-10-24T11:00:00Z", site: .leftAnkle),
            try StoreFixtures.episode(b, .onset, .fall, start: "2026-10-25T09:00:00Z", site: nil),
            try StoreFixtures.episode(c, .onset, .phasic, start: "2026-10-25T10:00:00Z", site: .rightCalf),
            try StoreFixtures.episode(d, .onset, .tonic, start: "2026-10-26T05:00:00Z", site: .rightCalf),  // 06:00 CET
            try StoreFixtures.entry(
                DiaryEntry(
                    recordedAt: 1_700_000_003, via: "test", kind: .confirmation,
                    confirmation: EpisodeConfirmation(episodeId: c, wasSpasm: false))),
        ]
        // Alerts: one delivered, one only failed, one never attempted.
        let delivered = UUID()
        let failed = UUID()
        let pending = UUID()
        for (id, hour) in [(delivered, 9), (failed, 10), (pending, 11)] {
            let alert = Alert(
                alertId: id, kind: "fall", severity: .critical, groupKey: "fall", title: "Fall", message: "m",
                at: StoreFixtures.utc("2026-10-25T\(hour):00:00Z"), site: .leftLeg)
            messages.append(try StoreFixtures.message(alert, topic: Topic.alert(.critical), source: "detect-0"))
        }
        let attempts: [(UUID, Delivery.Outcome)] = [(delivered, .failed), (delivered, .sent), (failed, .failed)]
        for (n, (id, outcome)) in attempts.enumerated() {
            let delivery = Delivery(
                alertIds: [id], receiver: "carer", channel: "webhook", attempt: n + 1, outcome: outcome,
                at: StoreFixtures.utc("2026-10-25T12:00:00Z") + Double(n), text: "t")
            messages.append(try StoreFixtures.message(delivery, topic: Topic.delivery("webhook"), source: "notify"))
        }
        messages.append(
            try StoreFixtures.message(
                Acknowledgement(
                    alertId: delivered, by: "me", at: StoreFixtures.utc("2026-10-25T09:05:00Z"),
                    via: "cli"), topic: Topic.acknowledgement, source: "manual"))
        try ingestor.store(messages)
        let engine = StoreQueryEngine(database: database, timeZone: berlin)
        return (engine, ["delivered": delivered, "failed": failed, "pending": pending, "a": a, "c": c])
    }

    @Test func dailyStatisticsFollowLocalDaysAcrossTheDaylightSavingChange() throws {
        let (engine, _) = try seeded()
        let stats = try #require(
            engine.answer(
                StoreRequest(
                    query: .statistics, from: StoreFixtures.utc("2026-10-24T10:00:00Z"),
                    to: StoreFixtures.utc("2026-10-26T12:00:00Z"))
            ).statistics)
        #expect(stats.timeZone == "Europe/Berlin")
        #expect(stats.days.map(\.day) == ["2026-10-24", "2026-10-25", "2026-10-26"])
        #expect(stats.days[2].start - stats.days[1].start == 25 * 3600, "the day the clocks go back has 25 hours")
        let (d24, d25, d26) = (stats.days[0], stats.days[1], stats.days[2])
        #expect(d24.diarySpasms == 2)
        #expect(d24.diary == ["phasic": 1, "tonic": 1])
        #expect(d24.detected == ["clonus": 1])
        #expect(d24.detectedSpasms == 1)
        #expect(d24.severityMean == 2.5)
        #expect(d24.painMean == 5)
        #expect(d24.nrs == 5)
        #expect(d24.psfs == 3)
        #expect(d25.diarySpasms == 2, "the retracted spasm is not counted; 23:30 CET belongs to the 25th")
        #expect(d25.diary == ["clonus": 1, "cramp": 1])
        #expect(d25.detected == ["fall": 1], "the phasic episode marked 'not a spasm' is left out")
        #expect(d25.detectedSpasms == 0, "falls are not spasms")
        #expect(d25.nrs == 3)
        #expect(d25.psfs == nil)
        #expect(d26.diary == ["tonic": 1], "the replacement counts, not the replaced entry")
        #expect(d26.detectedSpasms == 1)
        var hours = Array(repeating: 0, count: 24)
        for h in [12, 20, 9, 23, 8, 13, 6] { hours[h] += 1 }
        #expect(stats.hourOfDay == hours)
        #expect(stats.sites == ["left-calf": 2, "right-calf": 2, "left-ankle": 2, "left-thigh": 1])
        // The same data in UTC: the 23:30 CET spasm (22:30Z) is still on the 25th, 06:00 CET (05:00Z) is hour 5.
        let utc = try #require(
            engine.answer(
                StoreRequest(
                    query: .statistics, from: StoreFixtures.utc("2026-10-24T10:00:00Z"),
                    to: StoreFixtures.utc("2026-10-26T12:00:00Z"), timeZone: "UTC")
            ).statistics)
        #expect(utc.hourOfDay[5] == 1 && utc.hourOfDay[6] == 0)
    }

    @Test func filtersBySiteKindTimeAndPerson() throws {
        let (engine, ids) = try seeded()
        let leftLeg = engine.answer(StoreRequest(query: .entries, site: .leftLeg)).entries ?? []
        #expect(leftLeg.count == 4, "left calf ×2, left ankle, left thigh")
        #expect(leftLeg.map(\.at) == leftLeg.map(\.at).sorted(), "oldest first")
        let checkins = engine.answer(StoreRequest(query: .entries, kinds: ["checkin"])).entries ?? []
        #expect(checkins.map { $0.entry.checkin?.nrs } == [6, 4, 3])
        let day25 =
            engine.answer(
                StoreRequest(
                    query: .entries, from: StoreFixtures.utc("2026-10-24T22:00:00Z"),
                    to: StoreFixtures.utc("2026-10-25T23:00:00Z"), kinds: ["spasm"])
            ).entries ?? []
        #expect(day25.count == 2)
        #expect((engine.answer(StoreRequest(query: .entries, person: "someone-else")).entries ?? []).isEmpty)
        let clonus = engine.answer(StoreRequest(query: .episodes, kinds: ["clonus"])).episodes ?? []
        #expect(clonus.map(\.episodeId) == [ids["a"]!])
        let notSpasm = engine.answer(StoreRequest(query: .episodes, kinds: ["phasic"])).episodes?.first
        #expect(notSpasm?.confirmed == false)
        let limited = engine.answer(StoreRequest(query: .entries, kinds: ["checkin"], limit: 2))
        #expect(limited.truncated == true)
        #expect(limited.entries?.map { $0.entry.checkin?.nrs } == [4, 3], "the newest two, oldest first")
    }

    @Test func alertsWithNoSuccessfulDelivery() throws {
        let (engine, ids) = try seeded()
        let all = engine.answer(StoreRequest(query: .alerts)).alerts ?? []
        #expect(all.count == 3)
        let delivered = try #require(all.first { $0.alert.alertId == ids["delivered"] })
        #expect(delivered.delivered)
        #expect(delivered.deliveryAttempts == 2)
        #expect(delivered.acknowledgements.map(\.by) == ["me"])
        let undelivered = engine.answer(StoreRequest(query: .alerts, undeliveredOnly: true)).alerts ?? []
        #expect(Set(undelivered.map(\.alert.alertId)) == [ids["failed"]!, ids["pending"]!])
        let failedDeliveries = engine.answer(StoreRequest(query: .deliveries, kinds: ["failed"])).deliveries ?? []
        #expect(failedDeliveries.count == 2)
    }

    @Test func badRequestsGetAClearError() throws {
        let (engine, _) = try seeded()
        let garbage = try JSONDecoder().decode(StoreResponse.self, from: engine.answer(json: Data("not json".utf8)))
        #expect(!garbage.ok)
        #expect(garbage.error?.contains("bad request") == true)
        let unknown = try JSONDecoder().decode(StoreResponse.self, from: engine.answer(json: Data(#"{"query":"everything"}"#.utf8)))
        #expect(unknown.error?.contains("entries, episodes") == true, "lists the known queries")
        let kind = engine.answer(StoreRequest(query: .entries, kinds: ["sneeze"]))
        #expect(!kind.ok)
        #expect(kind.error?.contains("unknown entry kind 'sneeze'") == true)
        #expect(engine.answer(StoreRequest(query: .entries, from: 10, to: 5)).error?.contains("after") == true)
        #expect(engine.answer(StoreRequest(query: .statistics, timeZone: "Mars/Olympus")).error?.contains("time zone") == true)
    }
}
