import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmDetection
import SpasmReliability
import SpasmRuntime
import SpasmSchema

/// Runs detection (the default subcommand). With `--shard i/n` this instance takes the
/// sensors whose id hashes to i (of n instances); instance 0 also watches for flare-ups.
struct ServeDetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run detection (default).")

    @OptionGroup var options: CommonOptions

    @Option(help: "This instance's share of the sensors, as INDEX/COUNT (e.g. 0/2).")
    var shard: String?

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let split = try SensorShard(parsing: shard)
        let instance = split.count > 1 ? "detect-\(split.index)" : "detect"
        let environment = try ServiceEnvironment(service: ServiceName.detect, instance: instance, options: options)
        let configuration = environment.configuration
        let logger = environment.logger
        let counters = environment.counters
        let timeZone = configuration.timeZone.isEmpty ? TimeZone.current : TimeZone(identifier: configuration.timeZone) ?? .current

        let outbox = try Outbox.open(url: environment.home.outbox(for: instance))
        let receipts = try environment.subscribe([Topic.stored(instance)])
        let sender = ReliableSender(outbox: outbox, publisher: environment.publisher, receipts: receipts,
                                    counters: counters, logger: logger)
        // One SQLite file per instance: its open episodes and what it learned.
        let openEpisodes = try OpenEpisodeLog.openOrReset(
            url: environment.home.dataDirectory.appendingPathComponent("\(instance)-open-episodes.sqlite"), logger: logger)
        let learning = SensitivityStore(table: openEpisodes.state,
                                        adopting: environment.home.dataDirectory.appendingPathComponent("\(instance)-learning.json"),
                                        logger: logger)
        let engine = DetectionEngine(configuration: configuration.detect, learning: learning,
                                     alerts: AlertWriter(person: configuration.person, timeZone: timeZone))
        let flare = split.index == 0
            ? FlareUpMonitor(table: openEpisodes.state, adopting: environment.home.dataDirectory.appendingPathComponent("flare-up.json"),
                             timeZone: timeZone, person: configuration.person, logger: logger)
            : nil

        let actionSender = ActionSender(sender: sender, learning: learning, openEpisodes: openEpisodes, counters: counters, logger: logger)
        await actionSender.closeLeftOpen()

        let frames = try environment.subscribe([Topic.sensorFramePrefix], queueCapacity: 20_000)
        let diary = try environment.subscribe([Topic.manualEntry, Topic.episodePrefix])

        let frameLoop = MessageLoopService(subscriber: frames) { message in
            guard let envelope = try? message.decode(SensorFrame.self) else {
                counters.add("frames.rejected_malformed")
                return
            }
            let frame = envelope.body
            guard split.owns(frame.sensorId) else { return }
            guard let payload = message.payload, payload.count == frame.payloadByteCount else {
                counters.add("frames.rejected_payload")
                return
            }
            let actions = await engine.process(frame: frame, samples: SamplePacking.unpack(payload),
                                               arrivedAt: envelope.header.time)
            counters.add("frames.processed")
            counters.add("samples.processed", Int64(frame.sampleCount))
            await actionSender.deliver(actions)
        }

        let diaryLoop = MessageLoopService(subscriber: diary) { message in
            if let episode = try? message.decode(EpisodeEvent.self).body {
                flare?.record(episode: episode)
                return
            }
            guard let entry = try? message.decode(DiaryEntry.self).body else { return }
            flare?.record(entry: entry)
            if let confirmation = entry.confirmation,
               let sensor = learning.apply(confirmation: confirmation.episodeId, wasSpasm: confirmation.wasSpasm, at: entry.recordedAt) {
                await actionSender.deliver(await engine.reload(sensorId: sensor))
            }
            if let spasm = entry.spasm, let site = spasm.site {
                for sensor in await engine.sensorsMissing(spasmAt: spasm.at, site: site, learning: learning) {
                    if learning.apply(missedSpasmOn: sensor, at: entry.recordedAt,
                                      note: "\(entry.entryId.uuidString.prefix(8)) at the \(site.displayName)") != nil {
                        await actionSender.deliver(await engine.reload(sensorId: sensor))
                    }
                }
            }
            if let alert = flare?.check() {
                _ = try? await sender.send(alert, topic: Topic.alert(alert.severity))
            }
        }

        let flareClock = FlareUpClock(monitor: flare, sender: sender)
        let heartbeat = environment.heartbeat {
            var info: [String: String] = [:]
            if let flare { info["flare-up"] = flare.statusLine() }
            if split.count > 1 { info["shard"] = "\(split.index) of \(split.count)" }
            return (info, nil)
        }
        let stats = EngineStatsService(engine: engine, counters: counters)
        let keeper = OpenEpisodeKeeper(engine: engine, log: openEpisodes, logger: logger)
        logger.info("detection ready", metadata: ["shard": "\(split.index)/\(split.count)"])
        try await environment.run([heartbeat, sender, frameLoop, diaryLoop, flareClock, stats, keeper], closing: [frames, diary])
    }
}

/// Which sensors one detector instance takes: a stable hash of the sensor id, modulo the
/// number of instances (FNV-1a, so every instance and every restart agree).
struct SensorShard: Sendable, Equatable {
    var index = 0
    var count = 1

    init(index: Int = 0, count: Int = 1) {
        self.index = index
        self.count = count
    }

    init(parsing text: String?) throws {
        guard let text else { return }
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else {
            throw ValidationError("--shard must be INDEX/COUNT with 0 ≤ INDEX < COUNT, e.g. 0/2")
        }
        index = parts[0]
        count = parts[1]
    }

    func owns(_ sensorId: String) -> Bool {
        count == 1 || Int(Self.hash(sensorId) % UInt64(count)) == index
    }

    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 1_099_511_628_211 }
        return h
    }
}

/// Checks for a flare-up every ten minutes (diary entries also trigger a check).
struct FlareUpClock: Service {
    let monitor: FlareUpMonitor?
    let sender: ReliableSender

    func run() async throws {
        // Only instance 0 watches for flare-ups; the others wait here, because a service
        // that returns early would end the whole group.
        guard let monitor else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let alert = monitor.check() {
                _ = try? await sender.send(alert, topic: Topic.alert(alert.severity))
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(600)) }
        }
    }
}

/// Copies the engine's lag figures into the counters each second.
struct EngineStatsService: Service {
    let engine: DetectionEngine
    let counters: CounterSet

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let (p50, p99, sensors) = await engine.lagPercentiles()
            counters.set("lag.p50_ms", Int64(p50 * 1000))
            counters.set("lag.p99_ms", Int64(p99 * 1000))
            counters.set("sensors", Int64(sensors))
            counters.set("detector.restarts", await engine.detectorRestarts)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}

/// Writes, every two seconds, the last frame time of each sensor with an open episode into
/// the open-episode log: after a crash that is when those episodes are said to have ended.
struct OpenEpisodeKeeper: Service {
    let engine: DetectionEngine
    let log: OpenEpisodeLog
    let logger: Logger
    static let interval: Duration = .seconds(2)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Every sensor with an open episode, each time: a row only moves forward, so an
            // unchanged time costs an indexed no-op, and an onset noted since is caught up.
            do {
                try await log.seen(await engine.lastSeenOfOpenEpisodes())
            } catch {
                logger.error("could not note open episodes", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }
}
