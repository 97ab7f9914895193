import Foundation
import GRDB
import SpasmBus
import SpasmConfig
import SpasmDetection
import SpasmReliability
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// The live path (replay → sensor ingestion → bus → spasmwatch-detect) finds the same
/// episodes as `spasmwatch-detect scan` on the same recording: a dev recording, and a
/// phone in a pocket from ../shared/eval/devices (jittered ~60 Hz times, stalls, a 28 s gap).
@Suite("Detection processes", .serialized)
struct DetectProcessTests {
    /// The recordings present in ../shared (the devices set may be absent where dev is not).
    static var recordings: [String] {
        ["eval/dev/imu_ankle_b.csv", "eval/devices/p_pocket.csv"].filter { path in
            TestSupport.sharedDirectory.map { FileManager.default.fileExists(atPath: $0.appendingPathComponent(path).path) } ?? false
        }
    }

    @Test(
        .enabled(
            if: TestSupport.sharedDirectory != nil, "../shared/eval/dev is not present beside the repository (set SPASMWATCH_SHARED to its folder)"),
        arguments: DetectProcessTests.recordings)
    func liveAndScanAgree(_ path: String) async throws {
        let recording = try #require(TestSupport.sharedDirectory).appendingPathComponent(path)
        let home = try TestSupport.temporaryHome("detect-live")
        defer { try? FileManager.default.removeItem(at: home) }
        let scan = try ChildProcess("spasmwatch-detect", ["scan", recording.path], home: home)
        #expect(await scan.wait(timeout: 120) == 0)
        let scanned: [(kind: String, start: Double)] = EpisodeRow.read(csvText: scan.stdout).map { ($0.kind, $0.start) }
        #expect(scanned.count >= 10)

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        let detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        #expect(await detect.waitForOutput("detection ready"))
        let ep = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let context = ZMQContext()
        let subscriber = try BusSubscriber(
            context: context, address: BusAddress(publish: ep.busPublish, subscribe: ep.busSubscribe),
            prefixes: ["episode.", "sensor.frame.live"])
        try await Task.sleep(for: .seconds(1))
        let replay = try ChildProcess("spasmwatch-sensor", ["replay", recording.path, "--speed", "max", "--sensor-id", "live"], home: home)
        #expect(await replay.wait(timeout: 180) == 0, "\(replay.stdout)")
        // Progress, as lines when not on a terminal: one each 10% of the recording.
        #expect(replay.stdout.contains("replay: 50% ("), "\(replay.stdout)")
        #expect(replay.stdout.contains("replay: 100% ("), "\(replay.stdout)")

        var base: Double?
        var ends: [EpisodeEvent] = []
        var onsets = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && ends.count < scanned.count {
            for m in subscriber.next(timeout: 0.2) ?? [] {
                if m.topic.hasPrefix("sensor.frame."), base == nil { base = try m.decode(SensorFrame.self).body.firstSampleTime }
                if let e = try? m.decode(EpisodeEvent.self).body {
                    if e.phase == .end { if !ends.contains(where: { $0.episodeId == e.episodeId }) { ends.append(e) } } else { onsets += 1 }
                }
            }
        }
        let t0 = try #require(base)
        #expect(ends.count == scanned.count, "live: \(ends.map { "\($0.kind.rawValue)@\(String(format: "%.2f", $0.start - t0))" })")
        #expect(onsets >= scanned.count)
        for row in scanned {
            let match = ends.first { $0.kind.rawValue == row.kind && abs(($0.start - t0) - row.start) < 0.05 }
            #expect(match != nil, "scan found \(row.kind) at \(row.start) s; live did not")
        }
        await subscriber.closeAsync()
        context.terminate()
        for p in [detect, sensor, bus] { await p.stop() }
        #expect(detect.process.terminationStatus == 0)
    }
}

/// Two detector instances split the sensors between them, and both keep running.
@Suite("Detection scale-out", .serialized)
struct DetectShardProcessTests {
    @Test func twoInstancesSplitTheSensors() async throws {
        let home = try TestSupport.temporaryHome("detect-shards")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        let first = try ChildProcess("spasmwatch-detect", ["--shard", "0/2"], home: home)
        let second = try ChildProcess("spasmwatch-detect", ["--shard", "1/2"], home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        #expect(await first.waitForOutput("detection ready"))
        #expect(await second.waitForOutput("detection ready"))
        let simulate = try ChildProcess(
            "spasmwatch-sensor",
            [
                "simulate", "--sensors", "6", "--kind", "imu", "--duration", "3",
                "--speed", "max",
            ], home: home)
        #expect(await simulate.wait(timeout: 120) == 0)
        try await Task.sleep(for: .seconds(2))
        let status = try ChildProcess("spasmwatch", ["status", "--set", "expectedServices=spasmwatch-bus,spasmwatch-detect"], home: home)
        #expect(await status.wait(timeout: 30) == 0)
        let lines = status.stdout.split(separator: "\n").filter { $0.hasPrefix("spasmwatch-detect") }
        #expect(lines.count == 2, "\(status.stdout)")
        #expect(lines.contains { $0.contains("detect-0") && $0.contains("alive") })
        #expect(lines.contains { $0.contains("detect-1") && $0.contains("alive") })
        let counts = lines.compactMap { line -> Int? in
            guard let range = line.range(of: "sensors=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(counts.count == 2)
        #expect(counts.reduce(0, +) == 6, "each sensor is taken by exactly one instance: \(counts)")
        #expect(counts.allSatisfy { $0 > 0 })
        for p in [second, first, sensor, bus] { await p.stop() }
        #expect(first.process.terminationStatus == 0)
        #expect(second.process.terminationStatus == 0)
    }
}

/// Episodes open when detection is killed are closed as interrupted at its next start, with
/// the time it last saw their sensor — also when storage is down at that moment.
@Suite("Detection after a crash", .serialized)
struct DetectCrashProcessTests {
    static func waitUntil(_ timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    /// A test process on the real bus: publishes sensor frames, hears episodes, asks storage.
    final class Feeder {
        let home: URL
        let context = ZMQContext()
        let publisher: BusPublisher
        let subscriber: BusSubscriber
        let endpoint: String

        init(home: URL) async throws {
            self.home = home
            let address = try BusAddress.resolve(home: DataHome(root: home), configuration: Configuration())
            publisher = try BusPublisher(context: context, address: address, source: "sensor-itest")
            subscriber = try BusSubscriber(context: context, address: address, prefixes: ["episode.", "sensor.frame.probe"])
            endpoint = Endpoints(home: DataHome(root: home), configuration: Configuration()).storeQuery
            // The publisher is connected once its own probe frames come back through the bus.
            let probe = SensorFrame(
                sensorId: "probe", kind: .emg, placement: .rightCalf, sampleRate: 1000, channels: 1,
                unit: .millivolts, firstSampleTime: Date().timeIntervalSince1970, sampleCount: 1)
            let publisher = publisher
            let subscriber = subscriber
            let connected = await DetectCrashProcessTests.waitUntil(20) {
                _ = try? publisher.publish(probe, topic: Topic.sensorFrame("probe"), payload: SamplePacking.pack([0]))
                return (subscriber.next(timeout: 0.1) ?? []).contains { $0.topic == Topic.sensorFrame("probe") }
            }
            #expect(connected)
        }

        /// 10 s quiet, then a tonic contraction still going at the last frame. Returns the
        /// onset detection published and the end of the last frame.
        func tonicThatDoesNotEnd(sensorId: String) async throws -> (EpisodeEvent, lastSeen: Double) {
            let rate = 1000.0
            let perFrame = 100
            let frames = 180
            let t0 = (Date().timeIntervalSince1970 - 60).rounded()
            var noise = EMGNoise()
            for n in 0..<frames {
                let first = t0 + Double(n * perFrame) / rate
                let frame = SensorFrame(
                    sensorId: sensorId, kind: .emg, placement: .leftCalf, sampleRate: rate, channels: 1,
                    unit: .millivolts, firstSampleTime: first, sampleCount: perFrame)
                try publisher.publish(
                    frame, topic: Topic.sensorFrame(sensorId),
                    payload: SamplePacking.pack(noise.samples(perFrame, sigma: first < t0 + 10 ? 0.005 : 0.05)))
            }
            var onset: EpisodeEvent?
            let subscriber = subscriber
            _ = await DetectCrashProcessTests.waitUntil(30) {
                for m in subscriber.next(timeout: 0.1) ?? [] {
                    if let e = try? m.decode(EpisodeEvent.self).body, e.sensorId == sensorId, e.phase == .onset { onset = e }
                }
                return onset != nil
            }
            let episode = try #require(onset, "the contraction is detected")
            #expect(episode.kind == .tonic)
            return (episode, t0 + Double(frames * perFrame) / rate)
        }

        /// The episode as storage has it.
        func stored(_ episode: EpisodeEvent) async throws -> StoredEpisode? {
            try await StoreClient.query(StoreRequest(query: .episodes, sensorId: episode.sensorId), context: context, endpoint: endpoint)
                .episodes?.first { $0.episodeId == episode.episodeId }
        }

        /// The last-seen time a detector instance keeps on disk for an open episode.
        func persistedLastSeen(_ episode: EpisodeEvent, instance: String) async throws -> Double? {
            let file = home.appendingPathComponent("data/\(instance)-open-episodes.sqlite")
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            var configuration = GRDB.Configuration()
            configuration.readonly = true
            let db = try DatabaseQueue(path: file.path, configuration: configuration)
            defer { try? db.close() }
            return try await db.read { db in
                try Double.fetchOne(
                    db, sql: "SELECT lastSeen FROM open_episode WHERE episodeId = ?",
                    arguments: [episode.episodeId.uuidString])
            }
        }

        func close() async {
            await subscriber.closeAsync()
            await publisher.closeAsync()
            context.terminate()
        }
    }

    @Test func anEpisodeLeftOpenByKillNineIsClosedAsInterruptedAtTheNextStart() async throws {
        let home = try TestSupport.temporaryHome("detect-crash")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        var store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        var detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await detect.waitForOutput("detection ready"))
        let manual = try await ManualProcess.start(home: home)
        let feeder = try await Feeder(home: home)
        let (episode, lastSeen) = try await feeder.tonicThatDoesNotEnd(sensorId: "calf-crash")
        #expect(try await Self.waitUntil(30) { try await feeder.stored(episode) != nil }, "the onset is stored")
        #expect(try await feeder.stored(episode)?.end == nil, "ongoing while detection runs")

        // Detection keeps, on disk, the last time it saw the sensor of each open episode.
        let persisted = try await Self.waitUntil(30) {
            try await feeder.persistedLastSeen(episode, instance: "detect").map { abs($0 - lastSeen) < 1e-6 } ?? false
        }
        let noted = try await feeder.persistedLastSeen(episode, instance: "detect")
        #expect(persisted, "last seen \(String(describing: noted)), expected \(lastSeen)")

        detect.signal(SIGKILL)
        #expect(await detect.wait(timeout: 20) != nil)
        // Storage is down while detection starts again: the end waits in detection's outbox.
        await store.stop()
        detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await detect.waitForOutput("detection ready"))
        #expect(detect.stderr.contains("closed 1 episode left open"), "\(detect.stderr)")
        #expect(try await feeder.persistedLastSeen(episode, instance: "detect") == nil, "no longer open")
        store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        #expect(try await Self.waitUntil(30) { try await feeder.stored(episode)?.end != nil }, "the end reaches storage")
        let closed = try #require(try await feeder.stored(episode))
        #expect(closed.interrupted == true)
        #expect(abs((closed.end ?? 0) - lastSeen) < 1e-6, "ended when the sensor was last seen: \(String(describing: closed.end)) vs \(lastSeen)")
        #expect(closed.start == episode.start)

        let history = try ChildProcess("spasmwatch", ["history", "--since", "1d", "--kind", "episode"], home: home)
        #expect(await history.wait(timeout: 20) == 0)
        let line = history.stdout.split(separator: "\n").first { $0.contains(String(episode.episodeId.uuidString.lowercased().prefix(8))) }
        #expect(line?.contains("interrupted") == true, "\(history.stdout)")
        #expect(line?.contains("ongoing") == false)

        // The phone page's episode list says so too.
        var summary = ""
        _ = try await Self.waitUntil(30) {
            let episodes = try await http("GET", "\(manual.base)/api/episodes").json()["episodes"] as? [[String: Any]] ?? []
            summary = episodes.first { $0["shortId"] as? String == ShortId.of(episode.episodeId) }?["summary"] as? String ?? ""
            return summary.contains("interrupted")
        }
        #expect(summary.contains("interrupted (detection stopped)"), "\(summary)")

        await feeder.close()
        for p in [detect, manual.process, store, bus] { await p.stop() }
        #expect(detect.process.terminationStatus == 0)
    }

    /// With `--shard`, each instance keeps and closes only its own open episodes.
    @Test func eachShardClosesOnlyItsOwn() async throws {
        let home = try TestSupport.temporaryHome("detect-crash-shards")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let instances = ["detect-0", "detect-1"]
        var detects = try instances.indices.map { try ChildProcess("spasmwatch-detect", ["--shard", "\($0)/2"], home: home) }
        for d in detects { #expect(await d.waitForOutput("detection ready")) }
        let feeder = try await Feeder(home: home)
        let (episode, lastSeen) = try await feeder.tonicThatDoesNotEnd(sensorId: "calf-shard")
        var owner: String?
        _ = try await Self.waitUntil(30) {
            for instance in instances where try await feeder.persistedLastSeen(episode, instance: instance) == lastSeen { owner = instance }
            return owner != nil
        }
        let holder = try #require(owner, "one instance notes the episode")
        for d in detects {
            d.signal(SIGKILL)
            #expect(await d.wait(timeout: 20) != nil)
        }
        detects = try instances.indices.map { try ChildProcess("spasmwatch-detect", ["--shard", "\($0)/2"], home: home) }
        for d in detects { #expect(await d.waitForOutput("detection ready")) }
        for (instance, d) in zip(instances, detects) {
            #expect(d.stderr.contains("closed 1 episode left open") == (instance == holder), "\(instance): \(d.stderr)")
        }
        #expect(try await Self.waitUntil(30) { try await feeder.stored(episode)?.interrupted == true })
        #expect(try await feeder.stored(episode)?.end == lastSeen)
        await feeder.close()
        for p in detects + [store, bus] { await p.stop() }
    }
}
