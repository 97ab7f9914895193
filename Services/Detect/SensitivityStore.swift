import Foundation
import Logging
import SpasmDetection
import SpasmSync

/// What detection learned from the person, per sensor: a sensitivity offset moved by their
/// answers to "was this a spasm?" and by diary spasms the sensor missed, within safe bounds.
/// Kept across restarts in the detector's database (DetectStateTable, part "sensitivity");
/// every change is logged with its reason.
final class SensitivityStore: Sendable {
    /// Never less sensitive than thresholds ×1.15, never more than ×0.9 (DetectorSettings'
    /// amplitude scale is 1 − 0.25 × offset).
    static let bounds = -0.6...0.4
    static let stepRejected = -0.1
    static let stepConfirmed = 0.02
    static let stepMissed = 0.05

    struct Change: Codable, Sendable, Equatable {
        var at: Double
        var delta: Double
        var offset: Double
        var why: String
    }

    struct SensorLearning: Codable, Sendable, Equatable {
        var offset: Double = 0
        var history: [Change] = []
    }

    struct RecentEpisode: Codable, Sendable, Equatable {
        var sensorId: String
        var kind: String
        var start: Double
        var limb: String?
    }

    struct State: Codable, Sendable {
        var sensors: [String: SensorLearning] = [:]
        /// Recent episodes, so an answer that comes later finds its sensor.
        var episodes: [UUID: RecentEpisode] = [:]
    }

    static let part = "sensitivity"
    let table: DetectStateTable
    let base: DetectorSettings
    let logger: Logger
    private let state: Locked<State>

    /// `legacyFile`: the JSON file an earlier version kept (`<instance>-learning.json`).
    init(table: DetectStateTable, adopting legacyFile: URL? = nil, base: DetectorSettings = .init(), logger: Logger) {
        self.table = table
        self.base = base
        self.logger = logger
        state = Locked(table.load(Self.part, as: State.self, adopting: legacyFile, logger: logger) ?? State())
    }

    func settings(for sensorId: String) -> DetectorSettings {
        var settings = base
        settings.sensitivityOffset = state.withLock { $0.sensors[sensorId]?.offset ?? 0 }
        return settings
    }

    func offset(for sensorId: String) -> Double { state.withLock { $0.sensors[sensorId]?.offset ?? 0 } }

    func remember(episodeId: UUID, _ episode: RecentEpisode) {
        state.withLock { state in
            state.episodes[episodeId] = episode
            if state.episodes.count > 2000 {
                let horizon = episode.start - 14 * 86_400
                state.episodes = state.episodes.filter { $0.value.start > horizon }
            }
        }
    }

    func episode(_ id: UUID) -> RecentEpisode? { state.withLock { $0.episodes[id] } }

    func hasEpisode(sensorId: String, near time: Double, within seconds: Double) -> Bool {
        state.withLock { $0.episodes.values.contains { $0.sensorId == sensorId && abs($0.start - time) <= seconds } }
    }

    /// The person answered "was this a spasm?" about an episode. Returns the sensor whose
    /// settings changed, if any.
    @discardableResult
    func apply(confirmation episodeId: UUID, wasSpasm: Bool, at time: Double) -> String? {
        guard let episode = episode(episodeId) else {
            logger.info("confirmation for an episode this detector does not know", metadata: ["episode": "\(episodeId)"])
            return nil
        }
        let why =
            wasSpasm
            ? "episode \(episodeId.uuidString.prefix(8)) (\(episode.kind)) confirmed as a spasm by the person"
            : "episode \(episodeId.uuidString.prefix(8)) (\(episode.kind)) rejected by the person: not a spasm"
        return change(sensorId: episode.sensorId, delta: wasSpasm ? Self.stepConfirmed : Self.stepRejected, why: why, at: time)
    }

    /// A diary spasm on this sensor's limb with no detected episode near it.
    @discardableResult
    func apply(missedSpasmOn sensorId: String, at time: Double, note: String) -> String? {
        change(sensorId: sensorId, delta: Self.stepMissed, why: "diary spasm \(note) with no detected episode within 5 minutes", at: time)
    }

    private func change(sensorId: String, delta: Double, why: String, at time: Double) -> String? {
        let result: (Double, Double)? = state.withLock { state in
            var learning = state.sensors[sensorId] ?? SensorLearning()
            let old = learning.offset
            let new = min(Self.bounds.upperBound, max(Self.bounds.lowerBound, old + delta))
            guard new != old else { return nil }
            learning.offset = new
            learning.history.append(Change(at: time, delta: new - old, offset: new, why: why))
            if learning.history.count > 200 { learning.history.removeFirst(learning.history.count - 200) }
            state.sensors[sensorId] = learning
            return (old, new)
        }
        guard let (old, new) = result else {
            logger.info("sensitivity unchanged: at its safe bound", metadata: ["sensor": "\(sensorId)", "why": "\(why)"])
            return nil
        }
        logger.notice(
            "sensitivity changed",
            metadata: [
                "sensor": "\(sensorId)", "from": "\(String(format: "%.2f", old))", "to": "\(String(format: "%.2f", new))", "why": "\(why)",
            ])
        save()
        return sensorId
    }

    func save() {
        let snapshot = state.withLock { $0 }
        do {
            try table.save(Self.part, snapshot)
        } catch {
            logger.error("cannot save learning state", metadata: ["error": "\(error)"])
        }
    }
}
