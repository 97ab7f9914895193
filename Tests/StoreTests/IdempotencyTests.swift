import Foundation
import GRDB
import SpasmBus
import SpasmSchema
import SpasmStore
import Testing

@Suite("Store: idempotency and merging")
struct IdempotencyTests {
    @Test func theSameMessageTwiceIsOneRowAndIsReceiptedBothTimes() throws {
        let (database, dir) = try StoreFixtures.database("idem")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let id = UUID()
        let message = try StoreFixtures.entry(StoreFixtures.checkin("2026-10-24T19:00:00Z", nrs: 5), id: id)
        let first = try ingestor.store([message])
        let second = try ingestor.store([message, message])
        #expect(first.map(\.id) == [id])
        #expect(second.map(\.id) == [id, id], "a re-sent message is receipted again")
        #expect(first.first?.source == "manual")
        let (received, entries) = try database.main.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM received_message")!,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM diary_entry")!
            )
        }
        #expect(received == 1)
        #expect(entries == 1)
    }

    /// "I need help" is kept like an acknowledgement: one row per message, receipted.
    @Test func aHelpRequestIsStoredOnceAndReceipted() throws {
        let (database, dir) = try StoreFixtures.database("help")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let id = UUID()
        let alertId = UUID()
        let message = try StoreFixtures.message(
            HelpRequest(alertId: alertId, by: "me", at: 1_764_000_000, via: "web"),
            topic: Topic.helpRequest, id: id, source: "manual")
        #expect(try ingestor.store([message]).map(\.id) == [id])
        #expect(try ingestor.store([message]).map(\.id) == [id], "a re-send is receipted again")
        let rows = try database.main.read { db in
            try Row.fetchAll(db, sql: "SELECT alertId, json FROM help_request")
        }
        #expect(rows.count == 1)
        #expect(rows.first?["alertId"] == alertId.uuidString)
        // notify asks for them after a restart, with the alert they are about.
        let alert = Alert(
            alertId: alertId, kind: "fall", severity: .critical, groupKey: "fall", title: "Fall", message: "m",
            at: 1_763_999_990)
        try ingestor.store([try StoreFixtures.message(alert, topic: Topic.alert(.critical), source: "detect")])
        let stored =
            StoreQueryEngine(database: database, timeZone: .gmt)
            .answer(StoreRequest(query: .alerts, from: 1_763_999_000)).alerts ?? []
        #expect(stored.map(\.alert.alertId) == [alertId])
        #expect(stored.first?.helpRequests?.map(\.by) == ["me"])
    }

    @Test func episodeOnsetAndEndMergeIntoOneRowInEitherOrder() throws {
        let (database, dir) = try StoreFixtures.database("merge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let a = UUID()
        let b = UUID()
        try ingestor.store([try StoreFixtures.episode(a, .onset, .clonus, start: "2026-10-24T11:00:00Z", site: .leftAnkle)])
        try ingestor.store([try StoreFixtures.episode(a, .end, .clonus, start: "2026-10-24T11:00:00Z", site: .leftAnkle)])
        // The end arrives first (the onset was re-sent later).
        try ingestor.store([try StoreFixtures.episode(b, .end, .tonic, start: "2026-10-24T12:00:00Z", site: nil)])
        try ingestor.store([try StoreFixtures.episode(b, .onset, .tonic, start: "2026-10-24T12:00:00Z", site: nil)])
        let episodes = StoreQueryEngine(database: database, timeZone: .gmt).answer(StoreRequest(query: .episodes)).episodes ?? []
        #expect(episodes.count == 2)
        let merged = try #require(episodes.first { $0.episodeId == a })
        #expect(merged.end == StoreFixtures.utc("2026-10-24T11:00:04Z"))
        #expect(merged.dominantFrequencyHz == 5.5)
        #expect(merged.confidence == 0.95)
        let reversed = try #require(episodes.first { $0.episodeId == b })
        #expect(reversed.end != nil, "an onset arriving after the end does not erase it")
        #expect(reversed.peak == 0.6)
    }

    /// An interrupted end (detection restarted after a crash) closes an open episode and says
    /// so; it never replaces an end that was detected, and a detected end replaces it.
    @Test func interruptedEndsCloseOpenEpisodesButNeverReplaceADetectedEnd() throws {
        let (database, dir) = try StoreFixtures.database("interrupted")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let open = UUID()
        let ended = UUID()
        let late = UUID()
        let t = StoreFixtures.utc("2026-10-24T11:00:00Z")
        func interrupted(_ id: UUID, lastSeen: Double) throws -> BusMessage {
            try StoreFixtures.message(
                EpisodeEvent(
                    episodeId: id, phase: .end, kind: .tonic, sensorId: "ankle-l", site: .leftAnkle,
                    start: t, end: lastSeen, detectedAt: lastSeen, confidence: 0.8, interrupted: true),
                topic: Topic.episode("tonic"), source: "detect")
        }
        for id in [open, ended, late] {
            try ingestor.store([try StoreFixtures.episode(id, .onset, .tonic, start: "2026-10-24T11:00:00Z", site: .leftAnkle)])
        }
        try ingestor.store([try StoreFixtures.episode(ended, .end, .tonic, start: "2026-10-24T11:00:00Z", site: .leftAnkle)])
        try ingestor.store([
            try interrupted(open, lastSeen: t + 30), try interrupted(ended, lastSeen: t + 30),
            try interrupted(late, lastSeen: t + 30),
        ])
        try ingestor.store([try StoreFixtures.episode(late, .end, .tonic, start: "2026-10-24T11:00:00Z", site: .leftAnkle)])
        let engine = StoreQueryEngine(database: database, timeZone: .gmt)
        let episodes = engine.answer(StoreRequest(query: .episodes)).episodes ?? []
        let closed = try #require(episodes.first { $0.episodeId == open })
        #expect(closed.end == t + 30)
        #expect(closed.interrupted == true)
        let detected = try #require(episodes.first { $0.episodeId == ended })
        #expect(detected.end == t + 4, "the detected end stays")
        #expect(detected.interrupted == nil)
        #expect(detected.peak == 0.6)
        let replaced = try #require(episodes.first { $0.episodeId == late })
        #expect(replaced.end == t + 4, "a detected end arriving later wins")
        #expect(replaced.interrupted == nil)
        #expect(Describe.episode(closed).contains("30 s, interrupted"))
        #expect(!Describe.episode(detected).contains("interrupted"))
    }

    @Test func theSameFrameTwiceIsOneRow() throws {
        let (database, dir) = try StoreFixtures.database("frames")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let frame = SensorFrame(
            sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3, unit: .g,
            firstSampleTime: 1_764_000_000, sampleCount: 2)
        let payload = SamplePacking.pack([0, 0, 1, 0.5, 0, 1])
        let message = try StoreFixtures.message(frame, topic: Topic.sensorFrame("ankle-r"), payload: payload)
        let resent = try StoreFixtures.message(frame, topic: Topic.sensorFrame("ankle-r"), payload: payload)
        let short = try StoreFixtures.message(frame, topic: Topic.sensorFrame("ankle-r"), payload: payload.prefix(8))
        #expect(try ingestor.store([message, resent, short]).isEmpty, "frames get no receipts")
        let rows = try database.raw.read { db in try Row.fetchAll(db, sql: "SELECT * FROM sensor_frame") }
        #expect(rows.count == 1, "the duplicate is ignored and the frame with a short payload rejected")
        let samples: Data = rows[0]["samples"]
        #expect(SamplePacking.unpack(samples) == [0, 0, 1, 0.5, 0, 1])
    }

    @Test func correctionsApplyInTheViewAndOriginalsStay() throws {
        let (database, dir) = try StoreFixtures.database("corrections")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let kept = StoreFixtures.spasm("2026-10-24T10:00:00Z", .phasic, severity: 2)
        let retracted = StoreFixtures.spasm("2026-10-24T11:00:00Z", .tonic, severity: 3)
        let replaced = StoreFixtures.spasm("2026-10-24T12:00:00Z", .phasic, severity: 1)
        let replacement = StoreFixtures.spasm("2026-10-24T12:00:00Z", .clonus, severity: 2)
        let retract = DiaryEntry(
            recordedAt: 1_700_000_001, via: "test", kind: .correction,
            correction: CorrectionRecord(targetEntryId: retracted.entryId, action: .retract))
        let replace = DiaryEntry(
            recordedAt: 1_700_000_002, via: "test", kind: .correction,
            correction: CorrectionRecord(
                targetEntryId: replaced.entryId, action: .replace,
                replacementEntryId: replacement.entryId))
        try ingestor.store(try [kept, retracted, replaced, replacement, retract, replace].map { try StoreFixtures.entry($0) })
        let engine = StoreQueryEngine(database: database, timeZone: .gmt)
        let effective = engine.answer(StoreRequest(query: .entries)).entries ?? []
        #expect(effective.map(\.entry.entryId) == [kept.entryId, replacement.entryId])
        let all = engine.answer(StoreRequest(query: .entries, includeCorrected: true)).entries ?? []
        #expect(all.count == 6)
        #expect(all.first { $0.entry.entryId == retracted.entryId }?.correctedBy == retract.entryId)
        let prefix = String(kept.entryId.uuidString.prefix(8)).lowercased()
        #expect(engine.answer(StoreRequest(query: .entries, idPrefix: prefix)).entries?.map(\.entry.entryId) == [kept.entryId])
    }

    @Test func aBackupIsTakenBeforeMigratingAnExistingDatabase() throws {
        let dir = try StoreFixtures.database("migrate").1
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("old/spasmwatch.sqlite")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: url.path)
            try old.write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('kept')") }
            try old.close()
        }
        _ = try AppDatabase.open(url: url)
        let backups = try FileManager.default.contentsOfDirectory(atPath: AppDatabase.backupDirectory(for: url).path)
        #expect(backups.count == 1)
        #expect(backups.first?.hasPrefix("before-migration-") == true)
        // Opening again: nothing to migrate, no new backup.
        _ = try AppDatabase.open(url: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: AppDatabase.backupDirectory(for: url).path).count == 1)
        let copy = try DatabaseQueue(path: AppDatabase.backupDirectory(for: url).appendingPathComponent(backups[0]).path)
        #expect(try copy.read { db in try String.fetchOne(db, sql: "SELECT text FROM notes") } == "kept")
    }
}
