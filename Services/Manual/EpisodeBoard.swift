import Foundation
import SpasmBus
import SpasmDiary
import SpasmSchema

/// A short memory of what detection and notification said recently, for the phone page:
/// detected episodes to confirm or reject, and alerts not yet acknowledged. Fed from the
/// bus (`episode.`, `alert.`, `acknowledgement`); storage keeps the full history.
actor EpisodeBoard {
    let capacity: Int
    private var episodes: [UUID: EpisodeEvent] = [:]
    private var episodeOrder: [UUID] = []
    private var answers: [UUID: Bool] = [:]
    private var alerts: [UUID: Alert] = [:]
    private var alertOrder: [UUID] = []
    private var acknowledgedAlerts: Set<UUID> = []

    init(capacity: Int = 50) {
        self.capacity = capacity
    }

    /// Takes in one bus message (anything else is ignored).
    func observe(_ message: BusMessage) {
        switch message.header.type {
        case EpisodeEvent.messageType:
            guard let event = try? message.decode(EpisodeEvent.self).body else { return }
            if episodes[event.episodeId] == nil {
                episodeOrder.append(event.episodeId)
                if episodeOrder.count > capacity { episodes[episodeOrder.removeFirst()] = nil }
            }
            // The end phase carries more (end, peak); an onset re-sent late must not undo it.
            if episodes[event.episodeId]?.phase != .end || event.phase == .end { episodes[event.episodeId] = event }
        case Alert.messageType:
            guard let alert = try? message.decode(Alert.self).body, !acknowledgedAlerts.contains(alert.alertId) else { return }
            if alerts[alert.alertId] == nil {
                alertOrder.append(alert.alertId)
                if alertOrder.count > capacity { alerts[alertOrder.removeFirst()] = nil }
            }
            alerts[alert.alertId] = alert
        case Acknowledgement.messageType:
            guard let ack = try? message.decode(Acknowledgement.self).body else { return }
            acknowledged(ack.alertId)
        default:
            break
        }
    }

    func answer(_ episodeId: UUID, wasSpasm: Bool) { answers[episodeId] = wasSpasm }

    func load(answers: [UUID: Bool]) { self.answers.merge(answers) { _, new in new } }

    func acknowledged(_ alertId: UUID) {
        acknowledgedAlerts.insert(alertId)
        alerts[alertId] = nil
        alertOrder.removeAll { $0 == alertId }
    }

    func episodeIds() -> [UUID] { episodeOrder }
    func openAlertIds() -> [UUID] { alertOrder }

    /// Newest first; `limit` is taken as 1–500 (a negative one used to crash the service).
    func episodes(limit: Int) -> [EpisodeSummary] {
        episodeOrder.reversed().prefix(max(1, min(limit, 500))).compactMap { id in
            episodes[id].map { EpisodeSummary(episode: $0, shortId: ShortId.of(id), summary: DiaryText.summary($0), wasSpasm: answers[id]) }
        }
    }

    /// Newest first.
    func openAlerts() -> [OpenAlert] {
        alertOrder.reversed().compactMap { id in alerts[id].map { OpenAlert(alert: $0, shortId: ShortId.of(id)) } }
    }
}
