import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmDetection
import SpasmReliability
import SpasmRuntime
import SpasmSchema

/// Detection's services: the frame loop (sensor frames → the engine → episodes and alerts),
/// the diary loop (confirmations and missed spasms teach the detectors; entries and episodes
/// feed the flare-up watch), the reliable sender, and periodic jobs: the flare-up check
/// (instance 0), engine statistics, the open-episode keeper and the heartbeat.
struct DetectService {
    let environment: ServiceEnvironment
    let shard: SensorShard
    let engine: DetectionEngine
    let learning: SensitivityStore
    let flare: FlareUpMonitor?
    let sender: ReliableSender
    let actionSender: ActionSender
    let openEpisodes: OpenEpisodeLog

    static func build(environment: ServiceEnvironment, shard: SensorShard) async throws -> [any Service] {
        let configuration = environment.configuration
        let logger = environment.logger
        let instance = environment.instance
        let timeZone = configuration.timeZone.zone
        let data = environment.home.dataDirectory

        let outbox = try Outbox.open(url: environment.home.outbox(for: instance))
        let receipts = try environment.subscribe([Topic.stored(instance)])
        let sender = ReliableSender(
            outbox: outbox, publisher: environment.publisher, receipts: receipts,
            counters: environment.counters, logger: logger)
        // One SQLite file per instance: its open episodes and what it learned.
        let openEpisodes = try OpenEpisodeLog.openOrReset(url: data.appendingPathComponent("\(instance)-open-episodes.sqlite"), logger: logger)
        let learning = SensitivityStore(
            table: openEpisodes.state, adopting: data.appendingPathComponent("\(instance)-learning.json"),
            logger: logger)
        let engine = DetectionEngine(
            configuration: configuration.detect, learning: learning,
            alerts: AlertWriter(person: configuration.person, timeZone: timeZone))
        let flare =
            shard.index == 0
            ? FlareUpMonitor(
                table: openEpisodes.state, adopting: data.appendingPathComponent("flare-up.json"),
                timeZone: timeZone, person: configuration.person, logger: logger)
            : nil
        let actionSender = ActionSender(
            sender: sender, learning: learning, openEpisodes: openEpisodes,
            counters: environment.counters, logger: logger)
        await actionSender.closeLeftOpen()

        let service = DetectService(
            environment: environment, shard: shard, engine: engine, learning: learning, flare: flare,
            sender: sender, actionSender: actionSender, openEpisodes: openEpisodes)
        let frames = MessageLoopService(subscriber: try environment.subscribe([Topic.sensorFramePrefix], queueCapacity: 20_000)) {
            await service.take(frame: $0)
        }
        let diary = MessageLoopService(subscriber: try environment.subscribe([Topic.manualEntry, Topic.episodePrefix])) {
            await service.take(diary: $0)
        }
        let heartbeat = environment.heartbeat {
            var info: [String: String] = [:]
            if let flare { info["flare-up"] = flare.statusLine() }
            if shard.count > 1 { info["shard"] = "\(shard.index) of \(shard.count)" }
            return (info, nil)
        }
        var services: [any Service] = [heartbeat, sender, frames, diary]
        // Only instance 0 watches for flare-ups (diary entries also trigger a check).
        if flare != nil { services.append(PeriodicService(every: .seconds(600)) { await service.checkFlareUp() }) }
        services += [
            PeriodicService(every: .seconds(1)) { await service.copyEngineStatistics() },
            PeriodicService(every: .seconds(2)) { await service.noteOpenEpisodes() },
        ]
        logger.info("detection ready", metadata: ["shard": "\(shard.index)/\(shard.count)"])
        return services
    }

    /// One sensor frame: this instance's sensors only, through the engine.
    func take(frame message: BusMessage) async {
        let counters = environment.counters
        guard let envelope = try? message.decode(SensorFrame.self) else {
            counters.add("frames.rejected_malformed")
            return
        }
        let frame = envelope.body
        guard shard.owns(frame.sensorId) else { return }
        guard let payload = message.payload, payload.count == frame.payloadByteCount else {
            counters.add("frames.rejected_payload")
            return
        }
        let actions = await engine.process(frame: frame, samples: SamplePacking.unpack(payload), arrivedAt: envelope.header.time)
        counters.add("frames.processed")
        counters.add("samples.processed", Int64(frame.sampleCount))
        await actionSender.deliver(actions)
    }

    /// An episode (for the flare-up watch) or a diary entry: its confirmation or its spasm
    /// at a site no sensor caught teaches the detectors; then the flare-up check.
    func take(diary message: BusMessage) async {
        if let episode = try? message.decode(EpisodeEvent.self).body {
            flare?.record(episode: episode)
            return
        }
        guard let entry = try? message.decode(DiaryEntry.self).body else { return }
        flare?.record(entry: entry)
        if let confirmation = entry.confirmation,
            let sensor = learning.apply(confirmation: confirmation.episodeId, wasSpasm: confirmation.wasSpasm, at: entry.recordedAt)
        {
            await actionSender.deliver(await engine.reload(sensorId: sensor))
        }
        if let spasm = entry.spasm, let site = spasm.site {
            for sensor in await engine.sensorsMissing(spasmAt: spasm.at, site: site, learning: learning) {
                if learning.apply(
                    missedSpasmOn: sensor, at: entry.recordedAt,
                    note: "\(entry.entryId.uuidString.prefix(8)) at the \(site.displayName)") != nil
                {
                    await actionSender.deliver(await engine.reload(sensorId: sensor))
                }
            }
        }
        await checkFlareUp()
    }

    /// A flare-up alert when the person's own baseline says so.
    func checkFlareUp() async {
        if let alert = flare?.check() {
            _ = try? await sender.send(alert, topic: Topic.alert(alert.severity))
        }
    }

    /// The engine's lag figures into the counters.
    func copyEngineStatistics() async {
        let counters = environment.counters
        let (p50, p99, sensors) = await engine.lagPercentiles()
        counters.set("lag.p50_ms", Int64(p50 * 1000))
        counters.set("lag.p99_ms", Int64(p99 * 1000))
        counters.set("sensors", Int64(sensors))
        counters.set("detector.restarts", await engine.detectorRestarts)
    }

    /// The last frame time of each sensor with an open episode, into the open-episode log:
    /// after a crash that is when those episodes are said to have ended. Every sensor with an
    /// open episode, each time: a row only moves forward, so an unchanged time costs an
    /// indexed no-op, and an onset noted since is caught up.
    func noteOpenEpisodes() async {
        do {
            try await openEpisodes.seen(await engine.lastSeenOfOpenEpisodes())
        } catch {
            environment.logger.error("could not note open episodes", metadata: ["error": "\(error)"])
        }
    }
}
