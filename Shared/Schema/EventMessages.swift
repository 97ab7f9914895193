import Foundation

/// An episode, on `episode.<kind>`: published at onset and again at its end with the same
/// `episodeId`. An end with `interrupted` true was not seen: detection stopped (a crash, a
/// kill) while the episode was open, and closed it at its next start with the time it last
/// saw the sensor.
public struct EpisodeEvent: MessageBody {
    public static let messageType = "episode"
    public enum Phase: String, Codable, Sendable { case onset, end }

    public var episodeId: UUID
    public var phase: Phase
    public var kind: EpisodeKind
    public var sensorId: String
    public var site: BodySite?
    /// Unix time the episode began.
    public var start: Double
    /// Unix time it ended (end phase only).
    public var end: Double?
    /// Unix time the evidence was complete.
    public var detectedAt: Double
    /// 0–1.
    public var confidence: Double
    /// Peak dynamic acceleration (g) or EMG envelope (mV), end phase.
    public var peak: Double?
    /// Dominant frequency of a clonus, Hz.
    public var dominantFrequencyHz: Double?
    /// End phase only: true when detection stopped during the episode, so `end` is the last
    /// time it saw the sensor, not an end it detected. Absent otherwise.
    public var interrupted: Bool?
    /// `true` when it came from a test sensor (a replay, a simulation, an example). Absent otherwise.
    public var test: Bool?

    public init(
        episodeId: UUID, phase: Phase, kind: EpisodeKind, sensorId: String, site: BodySite?, start: Double,
        end: Double? = nil, detectedAt: Double, confidence: Double, peak: Double? = nil,
        dominantFrequencyHz: Double? = nil, interrupted: Bool? = nil, test: Bool? = nil
    ) {
        self.episodeId = episodeId
        self.phase = phase
        self.kind = kind
        self.sensorId = sensorId
        self.site = site
        self.start = start
        self.end = end
        self.detectedAt = detectedAt
        self.confidence = confidence
        self.peak = peak
        self.dominantFrequencyHz = dominantFrequencyHz
        self.interrupted = interrupted
        self.test = test
    }

    public var durationSeconds: Double? { end.map { $0 - start } }
}

/// How urgent an alert is; the topic is `alert.<severity>`.
public enum AlertSeverity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, warning, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// Something a person should hear about, on `alert.<severity>`.
public struct Alert: MessageBody {
    public static let messageType = "alert"

    public var alertId: UUID
    /// What it is about: "fall", "tonic", "phasic", "clonus", "flare-up", "sensor-silent",
    /// "service-down", "test".
    public var kind: String
    public var severity: AlertSeverity
    /// Alerts with the same key inside a grouping window become one notification.
    public var groupKey: String
    public var title: String
    /// Plain words: what happened, where, when, what to do.
    public var message: String
    public var at: Double
    public var episodeId: UUID?
    public var sensorId: String?
    public var site: BodySite?
    /// `true` when it is about a test sensor (its title and message say "(test sensor)"). Absent otherwise.
    public var test: Bool?

    public init(
        alertId: UUID = .fastRandom(), kind: String, severity: AlertSeverity, groupKey: String, title: String,
        message: String, at: Double, episodeId: UUID? = nil, sensorId: String? = nil, site: BodySite? = nil,
        test: Bool? = nil
    ) {
        self.alertId = alertId
        self.kind = kind
        self.severity = severity
        self.groupKey = groupKey
        self.title = title
        self.message = message
        self.at = at
        self.episodeId = episodeId
        self.sensorId = sensorId
        self.site = site
        self.test = test
    }
}

/// A person acknowledging an alert ("I'm OK"), on `acknowledgement`. Not to be confused
/// with storage's *stored* receipt.
public struct Acknowledgement: MessageBody {
    public static let messageType = "acknowledgement"
    public var alertId: UUID
    /// Who acknowledged: the person, a caregiver's name.
    public var by: String
    public var at: Double
    /// The alert was a false alarm: everyone notified is told so.
    public var falseAlarm: Bool
    public var via: String

    public init(alertId: UUID, by: String, at: Double, falseAlarm: Bool = false, via: String) {
        self.alertId = alertId
        self.by = by
        self.at = at
        self.falseAlarm = falseAlarm
        self.via = via
    }
}

/// Someone asking for help with an alert ("I need help", OSD's manual alarm), on
/// `acknowledgement.help`: every receiver of the alert's escalation who was not told yet is
/// told at once. It does not acknowledge the alert; an "I'm OK" still ends it.
public struct HelpRequest: MessageBody {
    public static let messageType = "help-request"
    public var alertId: UUID
    /// Who asked: the person's id, or the receiver whose link was used.
    public var by: String
    public var at: Double
    public var via: String

    public init(alertId: UUID, by: String, at: Double, via: String) {
        self.alertId = alertId
        self.by = by
        self.at = at
        self.via = via
    }
}

/// One attempt to deliver a notification, on `delivery.<channel>`.
public struct Delivery: MessageBody {
    public static let messageType = "delivery"
    public enum Outcome: String, Codable, Sendable { case sent, failed, gaveUp = "gave-up" }

    public var deliveryId: UUID
    public var alertIds: [UUID]
    public var receiver: String
    public var channel: String
    public var attempt: Int
    public var outcome: Outcome
    public var error: String?
    public var at: Double
    public var text: String

    public init(
        deliveryId: UUID = .fastRandom(), alertIds: [UUID], receiver: String, channel: String, attempt: Int,
        outcome: Outcome, error: String? = nil, at: Double, text: String
    ) {
        self.deliveryId = deliveryId
        self.alertIds = alertIds
        self.receiver = receiver
        self.channel = channel
        self.attempt = attempt
        self.outcome = outcome
        self.error = error
        self.at = at
        self.text = text
    }
}
