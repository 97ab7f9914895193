import Foundation
import GRDB
import SpasmBus
import SpasmSchema
import SpasmStore
import Testing

@Suite("Store: sensor summaries and raw retention")
struct SensorDataTests {
    /// A minute of 5 Hz, 0.3 g oscillation on one axis (gravity on z) at 100 Hz.
    func frames(start: Double, seconds: Int = 60, sensor: String = "ankle-r") throws -> [SpasmBus.BusMessage] {
        var messages: [SpasmBus.BusMessage] = []
        for f in 0..<(seconds * 2) {
            var samples: [Float] = []
            for i in 0..<50 {
                let t = Double(f * 50 + i) / 100
                samples += [Float(0.3 * sin(2 * .pi * 5 * t)), 0, 1]
            }
            let frame = SensorFrame(
                sensorId: sensor, kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3, unit: .g,
                firstSampleTime: start + Double(f) * 0.5, sampleCount: 50)
            messages.append(
                try StoreFixtures.message(
                    frame, topic: Topic.sensorFrame(sensor), seq: UInt64(f),
                    payload: SamplePacking.pack(samples)))
        }
        return messages
    }

    @Test func perMinuteSummariesHaveRMSPeakAndDominantFrequency() throws {
        let (database, dir) = try StoreFixtures.database("summary")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let minute = 1_764_000_000.0 - 1_764_000_000.0.truncatingRemainder(dividingBy: 60)
        try ingestor.store(try frames(start: minute), now: minute)
        try ingestor.store(try frames(start: minute + 60, seconds: 1), now: minute)  // the next minute closes the first
        let summaries =
            StoreQueryEngine(database: database, timeZone: .gmt)
            .answer(StoreRequest(query: .sensorSummaries, sensorId: "ankle-r")).sensorSummaries ?? []
        let first = try #require(summaries.first { $0.minute == minute })
        #expect(first.samples == 6000)
        #expect(abs(first.rms - 0.3 / 2.0.squareRoot()) < 0.005)
        #expect(abs(first.peak - 0.3) < 0.02)
        #expect(abs((first.dominantFrequencyHz ?? 0) - 5) < 0.5)
        try ingestor.flushSummaries()
        let after = StoreQueryEngine(database: database, timeZone: .gmt).answer(StoreRequest(query: .sensorSummaries)).sensorSummaries ?? []
        #expect(after.count == 2, "the open minute is written at shutdown")
    }

    @Test func oldFramesArePurgedAndTheBudgetHoldsOldestFirst() throws {
        let (database, dir) = try StoreFixtures.database("retention")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingestor = StoreIngestor(database: database)
        let now = 1_764_000_000.0
        try ingestor.store(try frames(start: now - 10 * 86_400, seconds: 30, sensor: "old"), now: now)
        try ingestor.store(try frames(start: now - 3600, seconds: 600, sensor: "recent"), now: now)
        func count(_ sensor: String) throws -> Int {
            try database.raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sensor_frame WHERE sensorId = ?", arguments: [sensor])! }
        }
        #expect(try count("old") == 60)
        let generous = RawRetention(database: database, retentionDays: 7, budgetBytes: 1 << 40)
        #expect(try generous.purge(now: now) == 60)
        #expect(try count("old") == 0)
        #expect(try count("recent") == 1200)
        // A budget below what the files take: the oldest recent frames go, the newest stay.
        let used = generous.usedBytes
        var tight = RawRetention(database: database, retentionDays: 7, budgetBytes: used - used / 4)
        tight.chunk = 50
        let deleted = try tight.purge(now: now)
        #expect(deleted > 0)
        let remaining = try database.raw.read { db in try Double.fetchAll(db, sql: "SELECT firstSampleTime FROM sensor_frame ORDER BY id") }
        #expect(remaining.count == 1200 - deleted)
        #expect(remaining.last == now - 3600 + 599.5, "the newest frame is kept")
        #expect(tight.usedBytes <= tight.budgetBytes)
        #expect(remaining.count > 300, "only what the budget needs is purged")
    }

    @Test func dailyBackupIsTakenOncePerDayAndOldOnesGo() throws {
        let (database, dir) = try StoreFixtures.database("daily")
        defer { try? FileManager.default.removeItem(at: dir) }
        let backups = DailyBackups(database: database, keepDays: 2, timeZone: .gmt)
        let day = Date(timeIntervalSince1970: StoreFixtures.utc("2026-11-20T10:00:00Z"))
        #expect(try backups.runIfDue(now: day) != nil)
        #expect(try backups.runIfDue(now: day.addingTimeInterval(3600)) == nil, "one per day")
        try backups.runIfDue(now: day.addingTimeInterval(86_400))
        try backups.runIfDue(now: day.addingTimeInterval(2 * 86_400))
        let files = try FileManager.default.contentsOfDirectory(atPath: backups.directory.path).sorted()
        #expect(files == ["daily-2026-11-21.sqlite", "daily-2026-11-22.sqlite"])
    }
}
