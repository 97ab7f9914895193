import Foundation
import SpasmDiaryRules
import SpasmSchema

/// A field of an episode or an alert that breaks a rule: which field, and what is allowed.
public struct EventValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

/// The rules detect and notify follow when they make episodes and alerts; storage checks every
/// one it keeps against them, whoever published it (issue 12, point 7).
public enum EventValidator {
    static let maxTextCharacters = 2_000
    static let maxIdCharacters = 200

    public static func validate(_ e: EpisodeEvent) throws(EventValidationError) {
        try identifier(e.sensorId, field: "sensorId")
        try time(e.start, field: "start")
        try time(e.detectedAt, field: "detectedAt")
        if let end = e.end {
            try time(end, field: "end")
            guard end >= e.start else {
                throw EventValidationError(field: "end", message: "end \(end) is before start \(e.start)")
            }
        }
        guard e.confidence.isFinite, (0...1).contains(e.confidence) else {
            throw EventValidationError(field: "confidence", message: "confidence \(e.confidence) is outside 0–1")
        }
        if let p = e.peak, !p.isFinite || p < 0 {
            throw EventValidationError(field: "peak", message: "peak \(p) must be a finite number ≥ 0")
        }
        if let f = e.dominantFrequencyHz, !f.isFinite || f < 0 || f > 10_000 {
            throw EventValidationError(field: "dominantFrequencyHz", message: "dominantFrequencyHz \(f) is outside 0–10000")
        }
    }

    public static func validate(_ a: Alert) throws(EventValidationError) {
        try identifier(a.kind, field: "kind")
        try identifier(a.groupKey, field: "groupKey")
        try text(a.title, field: "title")
        try text(a.message, field: "message")
        try time(a.at, field: "at")
        if let s = a.sensorId { try identifier(s, field: "sensorId") }
    }

    static func identifier(_ value: String, field: String) throws(EventValidationError) {
        guard !value.isEmpty, value.count <= maxIdCharacters else {
            throw EventValidationError(field: field, message: "\(field) must be 1–\(maxIdCharacters) characters, got \(value.count)")
        }
    }

    static func text(_ value: String, field: String) throws(EventValidationError) {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, value.count <= maxTextCharacters else {
            throw EventValidationError(field: field, message: "\(field) must be 1–\(maxTextCharacters) characters and not blank, got \(value.count)")
        }
    }

    static func time(_ value: Double, field: String) throws(EventValidationError) {
        // The diary's lower bound (2000-01-01); no upper bound: clocks of sensors may run ahead.
        guard value.isFinite, value >= DiaryRules.earliest else {
            throw EventValidationError(field: field, message: "\(field) \(value) is before 2000-01-01; give Unix seconds (UTC)")
        }
    }
}
