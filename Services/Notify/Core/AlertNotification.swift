import Foundation
import SpasmSchema

/// One message to one receiver, about one alert or a group of alerts. This is what
/// channels send (the JSON-lines file, the generic webhook and commands get it as JSON).
public struct AlertNotification: Codable, Sendable, Equatable {
    /// Why it is sent.
    public enum Purpose: String, Codable, Sendable {
        /// New alert(s), possibly grouped.
        case alert
        /// A critical alert nobody acknowledged, passed to the next receiver.
        case escalation
        /// Someone pressed "I need help": everyone on the escalation is told at once.
        case helpRequested = "help-requested"
        /// Someone acknowledged an alert this receiver was told about.
        case acknowledged
        /// An alert turned out to be a false alarm.
        case falseAlarm = "false-alarm"
        /// `spasmwatch notify test`.
        case test
    }

    /// Something the receiver can do about it ("I'm OK", "I need help").
    public struct Action: Codable, Sendable, Equatable {
        public var label: String
        /// POST here to act: a per-alert link `<manual.publicURL>/act/<token>` for this
        /// receiver (a GET shows a confirm page). Nil when `manual.publicURL` is not set.
        public var url: String?
        /// The same from a shell ("" when there is none).
        public var command: String
        /// "ok" or "help".
        public var kind: String?

        public init(label: String, url: String?, command: String, kind: String? = nil) {
            self.label = label
            self.url = url
            self.command = command
            self.kind = kind
        }
    }

    public var notificationId: UUID
    public var receiver: String
    public var purpose: Purpose
    public var person: String
    public var severity: AlertSeverity
    public var kind: String
    public var groupKey: String
    public var title: String
    /// Plain words: what happened, where, when, what to do.
    public var text: String
    /// How many alerts this stands for (a grouped burst: more than one).
    public var count: Int
    public var alertIds: [UUID]
    public var alerts: [Alert]
    public var actions: [Action]
    /// Which escalation step this is (0 = the first receiver).
    public var escalationStep: Int?
    public var createdAt: Double

    public init(
        notificationId: UUID = .fastRandom(), receiver: String, purpose: Purpose, person: String, alerts: [Alert],
        title: String, text: String, actions: [Action] = [], escalationStep: Int? = nil, createdAt: Double
    ) {
        precondition(!alerts.isEmpty, "a notification is about at least one alert")
        self.notificationId = notificationId
        self.receiver = receiver
        self.purpose = purpose
        self.person = person
        self.severity = alerts.map(\.severity).max() ?? .info
        self.kind = alerts[0].kind
        self.groupKey = alerts[0].groupKey
        self.title = title
        self.text = text
        self.count = alerts.count
        self.alertIds = alerts.map(\.alertId)
        self.alerts = alerts
        self.actions = actions
        self.escalationStep = escalationStep
        self.createdAt = createdAt
    }

    /// One line for a console or log: "[critical] Possible fall — …".
    public var line: String {
        let tag = purpose == .acknowledged || purpose == .falseAlarm ? "resolved" : severity.rawValue
        return "[\(tag)] \(title) — \(text)"
    }
}
