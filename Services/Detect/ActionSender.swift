import Foundation
import Logging
import SpasmBus
import SpasmReliability
import SpasmSchema

/// Sends what the engine decided, through the outbox. An onset is noted in the open-episode
/// log before it is sent and forgotten once its end is in the outbox; at start, the episodes
/// a previous run left open are ended as interrupted.
struct ActionSender: Sendable {
    let sender: ReliableSender
    let learning: SensitivityStore
    let openEpisodes: OpenEpisodeLog
    let counters: CounterSet
    let logger: Logger

    func deliver(_ actions: [DetectionEngine.Action]) async {
        for action in actions {
            do {
                switch action {
                case .episode(let episode):
                    if episode.phase == .onset {
                        learning.remember(
                            episodeId: episode.episodeId,
                            .init(
                                sensorId: episode.sensorId, kind: episode.kind.rawValue, start: episode.start,
                                limb: (episode.site?.limb ?? episode.site)?.rawValue))
                        counters.add("episodes.\(episode.kind.rawValue)")
                        try await openEpisodes.opened(episode)
                    }
                    try await sender.send(episode, topic: Topic.episode(episode.kind.rawValue))
                    if episode.phase == .end { try await openEpisodes.ended(episode.episodeId) }
                case .alert(let alert):
                    counters.add("alerts.\(alert.severity.rawValue)")
                    try await sender.send(alert, topic: Topic.alert(alert.severity))
                }
            } catch {
                logger.error("could not send", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Ends, as interrupted, the episodes a previous run (a crash, a kill -9) left open, at
    /// the time it last saw their sensor. Never fails start-up: on an error they stay open
    /// and are tried again at the next start.
    func closeLeftOpen() async {
        do {
            let leftOpen = try await openEpisodes.interruptedEnds()
            for end in leftOpen {
                try await sender.send(end, topic: Topic.episode(end.kind.rawValue))
                counters.add("episodes.interrupted")
            }
            try await openEpisodes.clear(leftOpen.map(\.episodeId))
            if !leftOpen.isEmpty {
                logger.notice(
                    "closed \(leftOpen.count) episode\(leftOpen.count == 1 ? "" : "s") left open by the previous run, as interrupted",
                    metadata: ["episodes": "\(leftOpen.map { String($0.episodeId.uuidString.prefix(8)) }.joined(separator: ","))"])
            }
        } catch {
            logger.error("could not close the episodes left open", metadata: ["error": "\(error)"])
        }
    }
}
