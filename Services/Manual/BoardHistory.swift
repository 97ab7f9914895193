import Foundation
import Logging
import SpasmReliability
import SpasmSchema
import SpasmSync

/// Fills the page's episode and alert lists (`EpisodeBoard`) from storage, so they survive
/// a restart of this service: asked at start, and again every `period` until storage has
/// answered once (it may start later); after that only while the board shows an episode
/// as ongoing, so an end this service missed (a restart, a dropped message) still arrives.
/// Episodes of the last two days, alerts of the last day (those a person cleared from the
/// page stay cleared: the journal keeps them, `DiaryJournal.clearedAlerts`).
struct BoardHistory: Sendable {
    static let episodeWindow: Double = 2 * 86_400
    static let alertWindow: Double = 86_400

    let board: EpisodeBoard
    let store: StoreClient
    let person: String
    let logger: Logger
    private let filled = Locked(false)

    init(board: EpisodeBoard, store: StoreClient, person: String, logger: Logger) {
        self.board = board
        self.store = store
        self.person = person
        self.logger = logger
    }

    /// One fill; false when storage did not answer (tried again next time).
    @discardableResult
    func fill(now: Double = Date().timeIntervalSince1970) async -> Bool {
        let first = !filled.withLock { $0 }
        if !first, await board.ongoingEpisodes() == 0 { return true }
        do {
            let episodes = try await store.send(
                StoreRequest(
                    query: .episodes, from: now - Self.episodeWindow, person: person,
                    limit: board.capacity))
            let alerts =
                first
                ? try await store.send(
                    StoreRequest(
                        query: .alerts, from: now - Self.alertWindow, person: person,
                        limit: board.alertCapacity)
                ).alerts ?? [] : []
            await board.fill(episodes: episodes.episodes ?? [], alerts: alerts, adding: first)
            if first {
                filled.withLock { $0 = true }
                logger.info(
                    "episodes and alerts read from storage",
                    metadata: [
                        "episodes": "\(episodes.episodes?.count ?? 0)",
                        "alerts": "\(alerts.count)",
                    ])
            }
            return true
        } catch {
            if first { logger.debug("storage did not answer yet; the page's lists start empty", metadata: ["error": "\(error)"]) }
            return false
        }
    }
}
