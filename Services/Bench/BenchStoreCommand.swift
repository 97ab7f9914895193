import ArgumentParser
import Foundation
import GRDBSQLite
import SpasmBus
import SpasmRuntime
import SpasmSchema
import SpasmStore

/// `spasmwatch-bench store`: how fast the store's write path (decode, idempotency checks,
/// group commit, per-minute summaries) stores sensor frames and reliable events, beside raw
/// SQLite C-API inserts of the same rows into the same schema, measured in the same run.
struct BenchStoreCommand: AsyncParsableCommand, BenchSuitePart {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Store throughput (frames of 50×3 samples, episode events) beside raw SQLite inserts of the same rows.")

    @Option(help: "Sensor frames to store.")
    var frames: Int = 200_000

    @Option(help: "Events (episode messages) to store.")
    var events: Int = 100_000

    @Option(help: "Messages per transaction (the store's commitBatch).")
    var batch: Int = 1000

    @Flag(help: "Also measure end to end: this process publishes to a real spasmwatch-bus and spasmwatch-store.")
    var throughBus = false

    @Option(help: "Rounds; the best of each is shown (store and raw alternate, so a busy machine hurts both alike).")
    var rounds: Int = 3

    func run() async throws {
        let round = try await Self.bestRound(frames: frames, events: events, batch: batch, rounds: rounds)
        print(round.report(frames: frames, events: events, batch: batch, rounds: max(1, rounds)))
        if throughBus { try await EndToEndStoreBench.run(frames: frames / 2, events: events / 2) }
    }

    /// The best of `rounds` rounds, measured on the blocking pool.
    static func bestRound(frames: Int, events: Int, batch: Int, rounds: Int) async throws -> Round {
        let output: Result<Round, Error> = await onBlockingPool {
            Result {
                var best: Round?
                for _ in 0..<max(1, rounds) {
                    let round = try BenchStoreCommand.measure(frames: frames, events: events, batch: batch)
                    best = best.map { $0.best(round) } ?? round
                }
                return best!
            }
        }
        return try output.get()
    }

    /// Seconds taken by each of the four runs of one round.
    struct Round {
        var frameSeconds: Double, eventSeconds: Double, rawFrameSeconds: Double, rawEventSeconds: Double
        var summaries: Int, receipted: Int, databaseBytes: Int64, rawBytes: Int64
        var disk: RawFrameBytes

        func best(_ other: Round) -> Round {
            var r = self
            r.frameSeconds = min(frameSeconds, other.frameSeconds)
            r.eventSeconds = min(eventSeconds, other.eventSeconds)
            r.rawFrameSeconds = min(rawFrameSeconds, other.rawFrameSeconds)
            r.rawEventSeconds = min(rawEventSeconds, other.rawEventSeconds)
            return r
        }

        /// The suite's summary: frames and events beside raw SQLite, bytes per sample beside Float32.
        func lines(frames frameCount: Int, events eventCount: Int) -> [BenchLine] {
            func rate(_ n: Int, _ s: Double) -> Double { Double(n) / max(s, 1e-9) }
            func k(_ r: Double) -> String { String(format: "%.0f k/s", r / 1000) }
            let frames = rate(frameCount, frameSeconds)
            let events = rate(eventCount, eventSeconds)
            return [
                BenchLine(
                    area: "Storage", what: "sensor frames 50×3 stored",
                    figure: "\(k(frames)) (\(String(format: "%.1f", frames * 150 / 1e6)) M samples/s)",
                    reference: "raw SQLite inserts, same rows \(k(rate(frameCount, rawFrameSeconds)))",
                    ratio: String(format: "%.0f%%", 100 * rawFrameSeconds / frameSeconds), goal: "≥ 100 k/s", met: frames >= 100_000),
                BenchLine(
                    area: "Storage", what: "events (episode onsets, receipted)", figure: k(events),
                    reference: "raw SQLite inserts, same rows \(k(rate(eventCount, rawEventSeconds)))",
                    ratio: String(format: "%.0f%%", 100 * rawEventSeconds / eventSeconds), goal: "≥ 50 k/s", met: events >= 50_000),
                disk.line(what: "raw frames on disk (4 sensors 50×3)"),
            ]
        }

        func report(frames frameCount: Int, events eventCount: Int, batch: Int, rounds: Int) -> String {
            func rate(_ n: Int, _ s: Double) -> Double { Double(n) / max(s, 1e-9) }
            func k(_ r: Double) -> String { String(format: "%.0f k/s", r / 1000) }
            let rows: [[String]] = [
                ["WHAT", "SPASMWATCH-STORE PATH", "RAW SQLITE (C API)", "% OF RAW", "GOAL"],
                [
                    "sensor frames, 50×3 Float32 (600 B)", k(rate(frameCount, frameSeconds)), k(rate(frameCount, rawFrameSeconds)),
                    String(format: "%.0f%%", 100 * rawFrameSeconds / frameSeconds), "≥ 100 k/s",
                ],
                [
                    "events (episode onsets, receipted)", k(rate(eventCount, eventSeconds)), k(rate(eventCount, rawEventSeconds)),
                    String(format: "%.0f%%", 100 * rawEventSeconds / eventSeconds), "≥ 50 k/s",
                ],
            ]
            var text =
                "Store write path: \(frameCount) frames from 4 sensors and \(eventCount) events, \(batch) per transaction, WAL, synchronous=NORMAL, 32 MB cache, checkpoint every 8000 pages; best of \(rounds) rounds\n\n"
            text += TextTable.render(rows) + "\n\n"
            text += "SPASMWATCH-STORE PATH: StoreIngestor.store on messages as the subscriber hands them over — decode the body,\n"
            text += "idempotency (frame: sensor + first sample time; event: envelope id), group commit, per-minute summaries\n"
            text += "(\(summaries) written), receipts listed (\(receipted)). RAW SQLITE: the same rows into the same tables through\n"
            text += "the C API with prepared statements, nothing decoded, the same ids (message ids time-ordered, episode ids\n"
            text +=
                "random, as the services make them). Database after a round: \(AppDatabase.formatBytes(databaseBytes)) + raw frames \(AppDatabase.formatBytes(rawBytes)).\n"
            text += "\n" + disk.report()
            #if DEBUG
                text += "\nThis is a debug build: build with `swift build -c release` for real figures.\n"
            #endif
            return text
        }
    }

    static func runForSuite() async throws -> [BenchLine] {
        let (frames, events, batch, rounds) = (100_000, 50_000, 1000, 2)
        let round = try await bestRound(frames: frames, events: events, batch: batch, rounds: rounds)
        print(round.report(frames: frames, events: events, batch: batch, rounds: rounds))
        return round.lines(frames: frames, events: events)
    }

    static func measure(frames frameCount: Int, events eventCount: Int, batch: Int) throws -> Round {
        let folder = try TemporaryDirectory(prefix: "sw-bench-store")  // removed on Ctrl-C too
        defer { folder.remove() }
        let dir = folder.url

        // Messages as the store's subscriber hands them over (header already parsed).
        let sensors = ["ankle-l", "ankle-r", "wrist-l", "wrist-r"]
        var samples = [Float](repeating: 0, count: 150)
        for i in 0..<50 {
            let t = Float(i) / 100
            samples[i * 3] = 0.1 * sin(2 * .pi * 5 * t)
            samples[i * 3 + 1] = 0.05 * cos(2 * .pi * 2 * t)
            samples[i * 3 + 2] = 1
        }
        let payload = SamplePacking.pack(samples)
        let start = 1_764_000_000.0
        var frameMessages: [BusMessage] = []
        frameMessages.reserveCapacity(frameCount)
        for i in 0..<frameCount {
            let sensor = sensors[i % sensors.count]
            let frame = SensorFrame(
                sensorId: sensor, kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3, unit: .g,
                firstSampleTime: start + Double(i / sensors.count) * 0.5, sampleCount: 50)
            frameMessages.append(try message(topic: Topic.sensorFrame(sensor), body: frame, seq: UInt64(i), payload: payload))
        }
        // Ids as the services make them: message ids time-ordered, episode ids random.
        var eventMessages: [BusMessage] = []
        var eventIds: [(message: UUID, episode: UUID)] = []
        eventMessages.reserveCapacity(eventCount)
        for i in 0..<eventCount {
            let t = start + Double(i)
            let episode = EpisodeEvent(
                episodeId: .fastRandom(), phase: .onset, kind: .clonus, sensorId: "ankle-r", site: .rightAnkle,
                start: t, detectedAt: t + 2, confidence: 0.9)
            let message = try message(topic: Topic.episode("clonus"), body: episode, seq: UInt64(i), payload: nil)
            eventMessages.append(message)
            eventIds.append((message.header.id, episode.episodeId))
        }

        // The store's path.
        let database = try AppDatabase.open(url: dir.appendingPathComponent("store/spasmwatch.sqlite"))
        let ingestor = StoreIngestor(database: database)
        let frameSeconds = try time {
            for chunk in stride(from: 0, to: frameMessages.count, by: batch) {
                try ingestor.store(Array(frameMessages[chunk..<min(chunk + batch, frameMessages.count)]), now: start)
            }
        }
        var receipted = 0
        let eventSeconds = try time {
            for chunk in stride(from: 0, to: eventMessages.count, by: batch) {
                receipted += try ingestor.store(Array(eventMessages[chunk..<min(chunk + batch, eventMessages.count)]), now: start).count
            }
        }

        // Raw SQLite, the same rows, the same schema, the same transaction size.
        let raw = try RawSQLite(path: dir.appendingPathComponent("raw.sqlite").path)
        try raw.exec(
            """
            CREATE TABLE sensor_frame (id INTEGER PRIMARY KEY, sensorId TEXT NOT NULL, firstSampleTime REAL NOT NULL,
                sampleRate REAL NOT NULL, channels INTEGER NOT NULL, sampleCount INTEGER NOT NULL, samples BLOB NOT NULL,
                UNIQUE (sensorId, firstSampleTime));
            CREATE TABLE received_message (messageId BLOB PRIMARY KEY NOT NULL, source TEXT NOT NULL, type TEXT NOT NULL,
                storedAt REAL NOT NULL) WITHOUT ROWID;
            CREATE TABLE episode (episodeId TEXT PRIMARY KEY NOT NULL, person TEXT NOT NULL, kind TEXT NOT NULL,
                sensorId TEXT NOT NULL, site TEXT, start REAL NOT NULL, "end" REAL, detectedAt REAL NOT NULL,
                confidence REAL NOT NULL, peak REAL, dominantFrequencyHz REAL) WITHOUT ROWID;
            CREATE INDEX episode_start ON episode(person, start);
            """)
        let rawFrameSeconds = try time {
            let insert = try raw.prepare(
                "INSERT INTO sensor_frame (sensorId, firstSampleTime, sampleRate, channels, sampleCount, samples) VALUES (?, ?, ?, ?, ?, ?)")
            defer { sqlite3_finalize(insert) }
            for chunk in stride(from: 0, to: frameCount, by: batch) {
                try raw.exec("BEGIN")
                for i in chunk..<min(chunk + batch, frameCount) {
                    let sensor = sensors[i % sensors.count]
                    sqlite3_bind_text(insert, 1, sensor, -1, RawSQLite.transient)
                    sqlite3_bind_double(insert, 2, start + Double(i / sensors.count) * 0.5)
                    sqlite3_bind_double(insert, 3, 100)
                    sqlite3_bind_int(insert, 4, 3)
                    sqlite3_bind_int(insert, 5, 50)
                    payload.withUnsafeBytes { _ = sqlite3_bind_blob(insert, 6, $0.baseAddress, Int32($0.count), RawSQLite.transient) }
                    try raw.step(insert)
                }
                try raw.exec("COMMIT")
            }
        }
        let rawEventSeconds = try time {
            let mark = try raw.prepare("INSERT OR IGNORE INTO received_message (messageId, source, type, storedAt) VALUES (?, ?, ?, ?)")
            let insert = try raw.prepare(
                "INSERT INTO episode (episodeId, person, kind, sensorId, site, start, \"end\", detectedAt, confidence, peak, dominantFrequencyHz) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, NULL)"
            )
            defer {
                sqlite3_finalize(mark)
                sqlite3_finalize(insert)
            }
            for chunk in stride(from: 0, to: eventCount, by: batch) {
                try raw.exec("BEGIN")
                for i in chunk..<min(chunk + batch, eventCount) {
                    let t = start + Double(i)
                    var id = eventIds[i].message.uuid
                    withUnsafeBytes(of: &id) { _ = sqlite3_bind_blob(mark, 1, $0.baseAddress, 16, RawSQLite.transient) }
                    sqlite3_bind_text(mark, 2, "detect-0", -1, RawSQLite.transient)
                    sqlite3_bind_text(mark, 3, "episode", -1, RawSQLite.transient)
                    sqlite3_bind_double(mark, 4, t)
                    try raw.step(mark)
                    sqlite3_bind_text(insert, 1, eventIds[i].episode.uuidString, -1, RawSQLite.transient)
                    sqlite3_bind_text(insert, 2, "me", -1, RawSQLite.transient)
                    sqlite3_bind_text(insert, 3, "clonus", -1, RawSQLite.transient)
                    sqlite3_bind_text(insert, 4, "ankle-r", -1, RawSQLite.transient)
                    sqlite3_bind_text(insert, 5, "right-ankle", -1, RawSQLite.transient)
                    sqlite3_bind_double(insert, 6, t)
                    sqlite3_bind_double(insert, 7, t + 2)
                    sqlite3_bind_double(insert, 8, 0.9)
                    try raw.step(insert)
                }
                try raw.exec("COMMIT")
            }
        }
        raw.close()

        let info = StoreQueryEngine(database: database, timeZone: .current).answer(StoreRequest(query: .info)).info
        let disk = try RawFrameBytes.measure(
            raw: database.rawURL, emptyStore: dir.appendingPathComponent("empty/spasmwatch.sqlite"), frames: frameCount,
            samples: frameCount * samples.count)
        return Round(
            frameSeconds: frameSeconds, eventSeconds: eventSeconds, rawFrameSeconds: rawFrameSeconds,
            rawEventSeconds: rawEventSeconds, summaries: info?.rows["sensor_minute"] ?? 0, receipted: receipted,
            databaseBytes: info?.databaseBytes ?? 0, rawBytes: info?.rawBytes ?? 0, disk: disk)
    }

    static func message<Body: MessageBody>(topic: String, body: Body, seq: UInt64, payload: Data?) throws -> BusMessage {
        let header = EnvelopeHeader(type: Body.messageType, source: "bench", epoch: 1, seq: seq, time: 1_764_000_000)
        let envelope = try WireCodec.assemble(header: header, bodyJSON: WireCodec.encode(body))
        var parts = [Data(topic.utf8), envelope]
        if let payload { parts.append(payload) }
        return try BusMessage(frames: parts)
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }
}

/// The reference: SQLite through its C API, no wrapper.
final class RawSQLite {
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    private var db: OpaquePointer?

    init(path: String) throws {
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw ValidationError("cannot open \(path)") }
        try exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32000; PRAGMA wal_autocheckpoint = 8000;")
    }

    func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw ValidationError("sqlite: \(String(cString: sqlite3_errmsg(db)))") }
    }

    func prepare(_ sql: String) throws -> OpaquePointer? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw ValidationError("sqlite: \(String(cString: sqlite3_errmsg(db)))")
        }
        return statement
    }

    func step(_ statement: OpaquePointer?) throws {
        let rc = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard rc == SQLITE_DONE else { throw ValidationError("sqlite: \(String(cString: sqlite3_errmsg(db)))") }
    }

    /// Every row of a query, each column as text ("" for NULL).
    func rows(_ sql: String) throws -> [[String]] {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        var result: [[String]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            result.append(
                (0..<sqlite3_column_count(statement)).map { i in sqlite3_column_text(statement, i).map { String(cString: $0) } ?? "" })
        }
        return result
    }

    func close() {
        sqlite3_close(db)
        db = nil
    }
}
