import Foundation
import SpasmBus
import SpasmConfig
import SpasmDiary
import SpasmSchema

/// A short memory of what detection and notification said recently, for the phone page:
/// detected episodes to confirm or reject, and alerts not yet acknowledged. Fed from the
/// bus (`episode.`, `alert.`, `acknowledgement`, notify's heartbeat); storage keeps the full
/// history. A flood of routine alerts never pushes a critical one out: the oldest routine
/// (info) alert goes first.
actor EpisodeBoard {
    let capacity: Int
    let alertCapacity: Int
    private var episodes: [UUID: EpisodeEvent] = [:]
    private var episodeOrder: [UUID] = []
    private var answers: [UUID: Bool] = [:]
    private var alerts: [UUID: Alert] = [:]
    private var alertOrder: [UUID] = []
    private var acknowledgedAlerts: Set<UUID> = []
    /// Alerts the person cleared from the page ("Clear all"), with their times (two days kept,
    /// as in the journal).
    private var clearedAlerts: [UUID: Double] = [:]
    /// Who answered which alert, and when (for the action links' confirm page).
    private var alertAnswers: [UUID: (by: String, at: Double)] = [:]
    /// Alerts someone asked for help with, and who.
    private var helpAsked: [UUID: String] = [:]
    /// notify's last heartbeat: when, and its `warning.caregiver`.
    private var notifySeenAt: Double?
    private var caregiverWarning: String?

    private let startedAt = Date().timeIntervalSince1970

    init(capacity: Int = 50, alertCapacity: Int = 200) {
        self.capacity = capacity
        self.alertCapacity = alertCapacity
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
            guard let alert = try? message.decode(Alert.self).body, !acknowledgedAlerts.contains(alert.alertId),
                clearedAlerts[alert.alertId] == nil
            else { return }
            if alerts[alert.alertId] == nil {
                alertOrder.append(alert.alertId)
                if alertOrder.count > alertCapacity {
                    let drop = alertOrder.firstIndex { alerts[$0]?.severity == .info } ?? 0
                    alerts[alertOrder.remove(at: drop)] = nil
                }
            }
            alerts[alert.alertId] = alert
        case Acknowledgement.messageType:
            guard let ack = try? message.decode(Acknowledgement.self).body else { return }
            acknowledged(ack.alertId, by: ack.by, at: ack.at)
        case HelpRequest.messageType:
            guard let help = try? message.decode(HelpRequest.self).body else { return }
            helpRequested(help.alertId, by: help.by)
        case Heartbeat.messageType:
            guard let beat = try? message.decode(Heartbeat.self).body, beat.service == ServiceName.notify else { return }
            notifySeenAt = Date().timeIntervalSince1970
            caregiverWarning = beat.info["warning.caregiver"]
        default:
            break
        }
    }

    func answer(_ episodeId: UUID, wasSpasm: Bool) { answers[episodeId] = wasSpasm }

    /// What storage has (`BoardHistory`): on the first fill, recent episodes and open alerts
    /// join the board, oldest first, before anything heard since; later fills only bring
    /// ends of episodes the board still shows as ongoing, and answers given elsewhere. So a
    /// restart or a lost end never leaves an episode "ongoing" for ever.
    func fill(episodes stored: [StoredEpisode], alerts storedAlerts: [StoredAlert], adding: Bool) {
        var added: [UUID] = []
        for s in stored {
            let event = EpisodeEvent(
                episodeId: s.episodeId, phase: s.end == nil ? .onset : .end, kind: s.kind, sensorId: s.sensorId,
                site: s.site, start: s.start, end: s.end, detectedAt: s.detectedAt, confidence: s.confidence,
                peak: s.peak, dominantFrequencyHz: s.dominantFrequencyHz, interrupted: s.interrupted)
            if let known = episodes[s.episodeId] {
                if known.phase != .end && event.phase == .end { episodes[s.episodeId] = event }
            } else if adding {
                episodes[s.episodeId] = event
                added.append(s.episodeId)
            }
            if let confirmed = s.confirmed, answers[s.episodeId] == nil { answers[s.episodeId] = confirmed }
        }
        episodeOrder = Array((added + episodeOrder).suffix(capacity))
        for id in Set(episodes.keys).subtracting(episodeOrder) { episodes[id] = nil }
        var addedAlerts: [UUID] = []
        for s in storedAlerts {
            for help in s.helpRequests ?? [] { helpRequested(help.alertId, by: help.by) }
            if let ack = s.acknowledgements.first {
                acknowledged(ack.alertId, by: ack.by, at: ack.at)
            } else if adding, alerts[s.alert.alertId] == nil, !acknowledgedAlerts.contains(s.alert.alertId),
                clearedAlerts[s.alert.alertId] == nil
            {
                alerts[s.alert.alertId] = s.alert
                addedAlerts.append(s.alert.alertId)
            }
        }
        alertOrder = addedAlerts + alertOrder
        while alertOrder.count > alertCapacity {
            let drop = alertOrder.firstIndex { alerts[$0]?.severity == .info } ?? 0
            alerts[alertOrder.remove(at: drop)] = nil
        }
    }

    /// Episodes the board shows as ongoing (for the later fills).
    func ongoingEpisodes() -> Int { episodes.values.filter { $0.phase != .end }.count }

    func load(answers: [UUID: Bool]) { self.answers.merge(answers) { _, new in new } }

    /// The alerts cleared before a restart (the journal's).
    func load(cleared: [UUID: Double]) { clearedAlerts.merge(cleared) { old, _ in old } }

    func acknowledged(_ alertId: UUID, by: String? = nil, at: Double = Date().timeIntervalSince1970) {
        if let by, alertAnswers[alertId] == nil {
            alertAnswers[alertId] = (by, at)
            // Bounded: links live a day, so answers older than two days are never asked about.
            if alertAnswers.count > 1000 { alertAnswers = alertAnswers.filter { $0.value.at > at - 2 * 86_400 } }
        }
        acknowledgedAlerts.insert(alertId)
        alerts[alertId] = nil
        alertOrder.removeAll { $0 == alertId }
    }

    func helpRequested(_ alertId: UUID, by: String) {
        if helpAsked[alertId] == nil { helpAsked[alertId] = by }
        if helpAsked.count > 1000 { helpAsked = helpAsked.filter { alerts[$0.key] != nil || alertAnswers[$0.key] != nil } }
    }

    /// The routine (info) alerts the page shows, with their times: what "Clear all" clears.
    func routineAlerts() -> [(id: UUID, at: Double)] {
        alertOrder.compactMap { id in alerts[id].flatMap { $0.severity == .info ? (id, $0.at) : nil } }
    }

    /// "Clear all" on the page: these alerts leave the page and do not come back; nobody is told.
    func clear(_ cleared: [(id: UUID, at: Double)], now: Double = Date().timeIntervalSince1970) {
        for alert in cleared {
            clearedAlerts[alert.id] = alert.at
            alerts[alert.id] = nil
        }
        let ids = Set(cleared.map(\.id))
        alertOrder.removeAll { ids.contains($0) }
        clearedAlerts = clearedAlerts.filter { $0.value >= now - 2 * 86_400 }
    }

    /// An alert the board knows (open or answered), with who answered it.
    func alert(_ id: UUID) -> (alert: Alert?, answeredBy: String?, answeredAt: Double?, helpAskedBy: String?) {
        (alerts[id], alertAnswers[id]?.by, alertAnswers[id]?.at, helpAsked[id])
    }

    /// What the page warns about: no caregiver set up (notify says so), or notify silent.
    func warnings(now: Double = Date().timeIntervalSince1970) -> [String] {
        // notify beats every second; silent for 15 s (or never heard 15 s after we started) is down.
        if now - (notifySeenAt ?? startedAt) >= 15 {
            return ["Notifications are not running (spasmwatch-notify is silent): nobody will be told about a fall."]
        }
        return caregiverWarning.map { [$0] } ?? []
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
        alertOrder.reversed().compactMap { id in
            alerts[id].map { OpenAlert(alert: $0, shortId: ShortId.of(id), helpRequestedBy: helpAsked[id]) }
        }
    }
}
