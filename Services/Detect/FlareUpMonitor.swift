import Foundation
import Logging
import SpasmBus
import SpasmReliability
import SpasmSchema
import SpasmSync

/// Watches diary entries and detected episodes for flare-ups (FlareUpModel) and sends one
/// alert when one begins. Its state lives in the detector's database (DetectStateTable, part
/// "flare-up"), so a restart loses nothing. Only detector instance 0 runs it.
final class FlareUpMonitor: Sendable {
    static let part = "flare-up"
    let table: DetectStateTable
    let calendar: Calendar
    let person: String
    let logger: Logger
    private let model: Locked<FlareUpModel>
    /// Re-alert at most this often while a flare-up lasts.
    static let realertAfter: Double = 7 * 86_400

    /// `legacyFile`: the JSON file an earlier version kept (`flare-up.json`).
    init(
        table: DetectStateTable, adopting legacyFile: URL? = nil, timeZone: TimeZone, person: String, logger: Logger,
        now: Double = Date().timeIntervalSince1970
    ) {
        self.table = table
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.person = person
        self.logger = logger
        let loaded = table.load(Self.part, as: FlareUpModel.self, adopting: legacyFile, logger: logger)
        model = Locked(loaded ?? FlareUpModel(monitoringSince: now))
    }

    func record(entry: DiaryEntry) {
        model.withLock { model in
            switch entry.kind {
            case .spasm:
                if let spasm = entry.spasm { model.addDiarySpasm(id: entry.entryId, at: spasm.at, site: spasm.site) }
            case .confirmation:
                if let c = entry.confirmation { model.confirm(episodeId: c.episodeId, wasSpasm: c.wasSpasm) }
            case .relapse:
                if let r = entry.relapse { model.relapse(r.phase, at: r.at) }
            case .medication:
                if let m = entry.medication, m.regimen == .regular, m.action != .taken { model.regularMedicationChanged(at: m.at) }
            case .correction:
                if let c = entry.correction { model.retract(entryId: c.targetEntryId) }
            default:
                break
            }
        }
        save()
    }

    func record(episode: EpisodeEvent) {
        guard episode.phase == .onset else { return }
        model.withLock { $0.addDetectedEpisode(id: episode.episodeId, at: episode.start, site: episode.site) }
        save()
    }

    /// Evaluates now; returns an alert when a flare-up has begun (or lasts a week longer).
    func check(now: Double = Date().timeIntervalSince1970) -> Alert? {
        let (verdict, lastAlert) = model.withLock { model in
            model.prune(now: now)
            return (model.evaluate(now: now, calendar: calendar), model.lastAlertAt)
        }
        guard case .flareUp(let ratio, let perDay, let count, let p) = verdict else { return nil }
        if let lastAlert, now - lastAlert < Self.realertAfter { return nil }
        model.withLock { $0.lastAlertAt = now }
        save()
        logger.notice(
            "flare-up",
            metadata: [
                "ratio": "\(String(format: "%.2f", ratio))", "baseline_per_day": "\(String(format: "%.2f", perDay))",
                "last_48h": "\(count)", "p": "\(p)",
            ])
        return Alert(
            kind: "flare-up", severity: .warning, groupKey: "\(person)/flare-up", title: "Spasms are much more frequent",
            message: FlareUpModel.message(ratio: ratio), at: now)
    }

    /// For `spasmwatch status`: "learning your baseline: 9 of 14 days", or the usual rate.
    func statusLine(now: Double = Date().timeIntervalSince1970) -> String {
        switch model.withLock({ $0.evaluate(now: now, calendar: calendar) }) {
        case .learning(let days, let of): "learning your baseline: \(days) of \(of) days"
        case .inRelapse: "in a relapse: flare-up alerts paused"
        case .usual(let perDay, let ratio): String(format: "baseline %.1f spasms/day; last 48 h %.1f× usual", perDay, ratio)
        case .flareUp(let ratio, _, _, _): String(format: "flare-up: %.1f× your usual rate for 2 days", ratio)
        }
    }

    func save() {
        let snapshot = model.withLock { $0 }
        do {
            try table.save(Self.part, snapshot)
        } catch {
            logger.error("cannot save the flare-up state", metadata: ["error": "\(error)"])
        }
    }
}
