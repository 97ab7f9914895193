import Foundation
import SpasmDiaryRules
import SpasmSchema

/// One-line descriptions of entries and episodes, for the CLI and the phone page.
public enum DiaryText {
    static let severityWords = [1: "mild", 2: "moderate", 3: "severe"]

    /// When the entry says it happened: the record's `at`, else when it was written.
    public static func time(of entry: DiaryEntry) -> Double {
        entry.spasm?.at ?? entry.checkin?.at ?? entry.medication?.at ?? entry.exercise?.at ?? entry.relapse?.at ?? entry.recordedAt
    }

    public static func seconds(_ s: Double) -> String {
        if s < 90 { return "\(DiaryRules.number(s.rounded())) s" }
        if s < 5400 { return "\(DiaryRules.number((s / 60).rounded())) min" }
        return String(format: "%.1f h", s / 3600)
    }

    public static func summary(_ entry: DiaryEntry) -> String {
        switch entry.kind {
        case .spasm:
            guard let s = entry.spasm else { return "spasm" }
            var parts = [
                s.site?.displayName ?? "site not given", s.type.rawValue,
                "\(severityWords[s.severity] ?? "severity") (\(s.severity))",
            ]
            if let pain = s.pain { parts.append("pain \(pain)/10") }
            if let d = s.durationSeconds { parts.append(seconds(d)) }
            if !s.triggers.isEmpty { parts.append("triggers " + s.triggers.map(\.rawValue).joined(separator: ", ")) }
            if let t = s.triggerNote, !t.isEmpty { parts.append("(\(t))") }
            let effects = s.effects.filter { $0 != .none }
            if !effects.isEmpty {
                parts.append("caused " + effects.map { $0.rawValue.replacingOccurrences(of: "-", with: " ") }.joined(separator: ", "))
            }
            if let n = s.note, !n.isEmpty { parts.append("“\(n)”") }
            return "spasm: " + parts.joined(separator: ", ")
        case .checkin:
            guard let c = entry.checkin else { return "check-in" }
            var parts = ["spasticity \(c.nrs)/10"]
            if let p = c.psfs { parts.append("PSFS \(p)") }
            if let q = c.sleepQuality { parts.append("sleep \(q)/10") }
            return "check-in: " + parts.joined(separator: ", ")
        case .medication:
            guard let m = entry.medication else { return "medication" }
            var text = m.name
            if let dose = m.dose { text += " \(DiaryRules.number(dose))\(m.unit.map { " \($0)" } ?? "")" }
            switch m.action {
            case .taken: text += " taken"
            case .started: text += " started"
            case .stopped: text += " stopped"
            case .changed: text += ", new regular dose"
            }
            var notes: [String] = []
            if m.regimen != .regular { notes.append(m.regimen.rawValue.replacingOccurrences(of: "-", with: " ")) }
            if m.supplement { notes.append("supplement") }
            if !notes.isEmpty { text += " (\(notes.joined(separator: ", ")))" }
            return (m.supplement ? "supplement: " : "medication: ") + text
        case .exercise:
            guard let e = entry.exercise else { return "exercise" }
            return "exercise: \(e.activity), \(DiaryRules.number(e.minutes.rounded())) min"
        case .relapse:
            guard let r = entry.relapse else { return "relapse" }
            return "relapse \(r.phase.rawValue)" + (r.markedBy == .clinician ? " (marked by clinician)" : "")
                + (r.note.map { ", “\($0)”" } ?? "")
        case .correction:
            guard let c = entry.correction else { return "correction" }
            return c.action == .retract
                ? "undo of \(ShortId.of(c.targetEntryId))"
                : "\(ShortId.of(c.targetEntryId)) replaced by \(c.replacementEntryId.map(ShortId.of) ?? "?")"
        case .confirmation:
            guard let c = entry.confirmation else { return "confirmation" }
            return "episode \(ShortId.of(c.episodeId)): " + (c.wasSpasm ? "yes, a spasm" : "no, not a spasm")
        }
    }

    public static func summary(_ episode: EpisodeEvent) -> String {
        var parts = [episode.kind.rawValue]
        if let site = episode.site { parts.append(site.displayName) } else { parts.append(episode.sensorId) }
        if let d = episode.durationSeconds { parts.append(seconds(max(d, 1))) } else { parts.append("ongoing") }
        if episode.phase == .end && episode.interrupted == true { parts.append("interrupted (detection stopped)") }
        parts.append(String(format: "confidence %.0f%%", episode.confidence * 100))
        return parts.joined(separator: ", ")
    }
}
