import Foundation
import SpasmSchema

/// Words for stored things, shared by the CLI's history, the export and the report.
public enum Describe {
    /// The first 8 characters of an id, lower case: what the CLI shows and accepts.
    public static func shortId(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }

    public static func entry(_ entry: DiaryEntry) -> String {
        switch entry.kind {
        case .spasm:
            guard let s = entry.spasm else { return "spasm" }
            var parts = ["\(s.type.rawValue)", "severity \(s.severity)"]
            if let site = s.site { parts.append(site.displayName) }
            if let d = s.durationSeconds { parts.append(number(d) + " s") }
            if let pain = s.pain { parts.append("pain \(pain)") }
            if !s.triggers.isEmpty { parts.append("triggers " + s.triggers.map(\.rawValue).joined(separator: "+")) }
            let effects = s.effects.filter { $0 != .none }
            if !effects.isEmpty { parts.append(effects.map(\.rawValue).joined(separator: "+")) }
            if let note = s.note, !note.isEmpty { parts.append("“\(note)”") }
            return parts.joined(separator: ", ")
        case .checkin:
            guard let c = entry.checkin else { return "check-in" }
            var parts = ["NRS \(c.nrs)"]
            if let p = c.psfs { parts.append("PSFS \(p)") }
            if let q = c.sleepQuality { parts.append("sleep \(q)") }
            return parts.joined(separator: ", ")
        case .medication:
            guard let m = entry.medication else { return "medication" }
            return medication(m)
        case .exercise:
            guard let e = entry.exercise else { return "exercise" }
            return "\(e.activity) \(number(e.minutes)) min"
        case .relapse:
            guard let r = entry.relapse else { return "relapse" }
            return "relapse \(r.phase.rawValue) (marked by \(r.markedBy.rawValue))" + (r.note.map { ", “\($0)”" } ?? "")
        case .correction:
            guard let c = entry.correction else { return "correction" }
            return c.action == .retract
                ? "retracts \(shortId(c.targetEntryId))"
                : "replaces \(shortId(c.targetEntryId))" + (c.replacementEntryId.map { " with \(shortId($0))" } ?? "")
        case .confirmation:
            guard let c = entry.confirmation else { return "confirmation" }
            return "episode \(shortId(c.episodeId)) " + (c.wasSpasm ? "was a spasm" : "was not a spasm")
        }
    }

    public static func medication(_ m: MedicationRecord) -> String {
        var text = m.name
        if let dose = m.dose { text += " \(number(dose))" + (m.unit.map { " \($0)" } ?? "") }
        text += " \(m.action.rawValue) (\(m.supplement ? "supplement, " : "")\(m.regimen.rawValue))"
        return text
    }

    public static func episode(_ e: StoredEpisode) -> String {
        var parts = ["\(e.kind.rawValue) on \(e.sensorId)"]
        if let site = e.site { parts.append(site.displayName) }
        if let end = e.end { parts.append(number(end - e.start) + " s") } else { parts.append("ongoing") }
        if e.interrupted == true { parts.append("interrupted (detection stopped; ended when the sensor was last seen)") }
        if let f = e.dominantFrequencyHz { parts.append(String(format: "%.1f Hz", f)) }
        if let p = e.peak { parts.append(String(format: "peak %.2f", p)) }
        parts.append(String(format: "confidence %.2f", e.confidence))
        if let c = e.confirmed { parts.append(c ? "confirmed" : "not a spasm") }
        return parts.joined(separator: ", ")
    }

    public static func alert(_ a: StoredAlert) -> String {
        var text = "[\(a.alert.severity.rawValue)] \(a.alert.title)"
        if let ack = a.acknowledgements.first { text += ", acknowledged by \(ack.by)" + (ack.falseAlarm ? " (false alarm)" : "") }
        text += a.delivered ? ", delivered" : (a.deliveryAttempts > 0 ? ", NOT delivered (\(a.deliveryAttempts) attempts)" : ", no delivery yet")
        return text
    }

    public static func delivery(_ d: Delivery) -> String {
        "\(d.channel) to \(d.receiver), attempt \(d.attempt): \(d.outcome.rawValue)" + (d.error.map { " (\($0))" } ?? "")
    }

    /// "12", "12.5".
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.1f", value)
    }
}
