import Foundation
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema

extension SpasmError.Code {
    /// A field of an episode or an alert that breaks a rule; `detail` is the field.
    public static let eventInvalid = SpasmError.Code("event.invalid")
}

extension SpasmError {
    /// Which field breaks a rule, and what is allowed.
    static func eventInvalid(field: String, _ message: String) -> SpasmError {
        SpasmError(.eventInvalid, "\(field): \(message)", detail: field)
    }
}

/// The rules detect and notify follow when they make episodes and alerts; storage checks every
/// one it keeps against them, whoever published it (issue 12, point 7).
public enum EventValidator {
    static let maxTextCharacters = 2_000
    static let maxIdCharacters = 200

    public static func validate(_ e: EpisodeEvent) throws(SpasmError) {
        try identifier(e.sensorId, field: "sensorId")
        try time(e.start, field: "start")
        try time(e.detectedAt, field: "detectedAt")
        if let end = e.end {
            try time(end, field: "end")
            guard end >= e.start else {
                throw SpasmError.eventInvalid(field: "end", "end \(end) is before start \(e.start)")
            }
        }
        guard e.confidence.isFinite, (0...1).contains(e.confidence) else {
            throw SpasmError.eventInvalid(field: "confidence", "confidence \(e.confidence) is outside 0–1")
        }
        if let p = e.peak, !p.isFinite || p < 0 {
            throw SpasmError.eventInvalid(field: "peak", "peak \(p) must be a finite number ≥ 0")
        }
        if let f = e.dominantFrequencyHz, !f.isFinite || f < 0 || f > 10_000 {
            throw SpasmError.eventInvalid(field: "dominantFrequencyHz", "dominantFrequencyHz \(f) is outside 0–10000")
        }
    }

    public static func validate(_ a: Alert) throws(SpasmError) {
        try identifier(a.kind, field: "kind")
        try identifier(a.groupKey, field: "groupKey")
        try text(a.title, field: "title")
        try text(a.message, field: "message")
        try time(a.at, field: "at")
        if let s = a.sensorId { try identifier(s, field: "sensorId") }
    }

    static func identifier(_ value: String, field: String) throws(SpasmError) {
        guard !value.isEmpty, value.count <= maxIdCharacters else {
            throw SpasmError.eventInvalid(field: field, "\(field) must be 1–\(maxIdCharacters) characters, got \(value.count)")
        }
    }

    static func text(_ value: String, field: String) throws(SpasmError) {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, value.count <= maxTextCharacters else {
            throw SpasmError.eventInvalid(field: field, "\(field) must be 1–\(maxTextCharacters) characters and not blank, got \(value.count)")
        }
    }

    static func time(_ value: Double, field: String) throws(SpasmError) {
        // The diary's lower bound (2000-01-01); no upper bound: clocks of sensors may run ahead.
        guard value.isFinite, value >= DiaryRules.earliest else {
            throw SpasmError.eventInvalid(field: field, "\(field) \(value) is before 2000-01-01; give Unix seconds (UTC)")
        }
    }
}
