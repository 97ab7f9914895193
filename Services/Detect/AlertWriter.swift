import Foundation
import SpasmConfig
import SpasmSchema

/// Turns episodes into alerts a person understands: what happened, where, when, what to do.
struct AlertWriter: Sendable {
    let person: String
    let timeZone: TimeZone

    func clock(_ t: Double) -> String {
        let f = DateFormatter()
        f.timeZone = timeZone
        f.dateFormat = "HH:mm"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    /// The alert for an episode's onset, if its kind raises one (config: detect.alertOn*).
    func onset(
        kind: EpisodeKind, episodeId: UUID, sensorId: String, site: BodySite, at: Double,
        settings: DetectSettings
    ) -> Alert? {
        let severityText: String
        switch kind {
        case .fall: severityText = settings.alertOnFall
        case .phasic: severityText = settings.alertOnPhasic
        case .clonus: severityText = settings.alertOnClonus
        case .tonic: return nil  // tonic alerts only when long (see longTonic)
        }
        guard let severity = AlertSeverity(rawValue: severityText) else { return nil }
        let place = site.displayName
        let (title, message): (String, String)
        switch kind {
        case .fall:
            title = "Possible fall"
            message =
                "A possible fall was detected by the \(place) sensor at \(clock(at)). If you are OK, press \"I'm OK\" (or run spasmwatch ack). If you are hurt, call for help."
        case .phasic:
            title = "Phasic spasm"
            message = "A sudden jerk (phasic spasm) of the \(place) at \(clock(at)). Recorded in your diary; nothing to do unless it hurt."
        case .clonus:
            title = "Clonus"
            message = "Rhythmic jerking (clonus) of the \(place) at \(clock(at)). Changing position or gently stretching the muscle often stops it."
        case .tonic:
            return nil
        }
        return Alert(
            kind: kind.rawValue, severity: severity, groupKey: "\(person)/\(kind.rawValue)/\(site.limb?.rawValue ?? site.rawValue)",
            title: title, message: message, at: at, episodeId: episodeId, sensorId: sensorId, site: site)
    }

    /// A tonic spasm that has lasted longer than the configured time.
    func longTonic(episodeId: UUID, sensorId: String, site: BodySite, start: Double, seconds: Double) -> Alert {
        Alert(
            kind: "tonic", severity: .warning, groupKey: "\(person)/tonic/\(site.limb?.rawValue ?? site.rawValue)",
            title: "Long tonic spasm",
            message:
                "The \(site.displayName) has been stiff (tonic spasm) for \(Int(seconds)) seconds since \(clock(start)). Try to relax, change position or stretch gently; if it does not ease or the pain is severe, call for help.",
            at: start + seconds, episodeId: episodeId, sensorId: sensorId, site: site)
    }
}

extension AlertWriter {
    /// An alert about a test sensor (a replay, a simulation, an example) carries `test: true`
    /// and says "(test sensor)" in its title and message; other alerts are unchanged.
    func marked(_ alert: Alert, test: Bool) -> Alert {
        guard test else { return alert }
        var marked = alert
        marked.test = true
        marked.title += " (test sensor)"
        marked.message += " (test sensor)"
        return marked
    }
}
