import Foundation
import SpasmSchema

/// Timings the planner works with (from `notify.*` settings, overridden by the rules file).
public struct PlannerSettings: Sendable, Equatable {
    public var groupWaitSeconds: Double
    public var repeatIntervalSeconds: Double
    public var escalateAfterSeconds: Double
    public var quietHours: DailyWindow?

    public init(groupWaitSeconds: Double = 60, repeatIntervalSeconds: Double = 600, escalateAfterSeconds: Double = 120,
                quietHours: DailyWindow? = nil) {
        self.groupWaitSeconds = groupWaitSeconds
        self.repeatIntervalSeconds = repeatIntervalSeconds
        self.escalateAfterSeconds = escalateAfterSeconds
        self.quietHours = quietHours
    }
}

/// Decides who is told what, and when: routing, grouping and de-duplication (as
/// Alertmanager does), quiet hours, escalation and acknowledgement. Pure logic: it reads
/// time from a `NotifyClock` and returns `AlertNotification`s; it sends nothing itself.
///
/// - A critical alert is sent at once. On an escalating route it goes to the first
///   receiver (the person, with "I'm OK"); unacknowledged after `escalateAfterSeconds` it
///   goes to the next, and so on.
/// - Other alerts are grouped per receiver by `groupKey`: the first waits
///   `groupWaitSeconds` for more of the same, then one notification carries them all with
///   a count; later ones of that group go out together at most every `repeatIntervalSeconds`.
/// - In quiet hours only critical alerts pass; the others wait until the quiet hours end.
/// - The same alert id twice (an outbox re-send) is one alert.
public struct NotificationPlanner: Sendable {
    public let rules: NotifyRules
    public let settings: PlannerSettings
    public let text: NotificationText
    let clock: any NotifyClock

    /// Alert ids already taken in, with when (for de-duplication).
    private var seen: [UUID: Double] = [:]
    private var groups: [String: Group] = [:]
    private var escalations: [UUID: Escalation] = [:]
    /// Who was told about each alert, in order (for acknowledgements and false alarms).
    private var told: [UUID: Told] = [:]
    private var acknowledged: Set<UUID> = []
    /// Alerts someone asked for help with (a repeated request changes nothing).
    private var helpAsked: Set<UUID> = []
    private var lastCleanup = 0.0

    struct Group: Sendable {
        var receiver: String
        var person: String
        var pending: [Alert] = []
        var flushAt: Double?
        var lastSentAt: Double?
    }

    struct Escalation: Sendable {
        var alert: Alert
        var person: String
        var steps: [String]
        var nextStep: Int
        var nextAt: Double?
        var after: Double
        var startedAt: Double
    }

    struct Told: Sendable {
        var alert: Alert
        var person: String
        var receivers: [String]
        var at: Double
    }

    public init(rules: NotifyRules, settings: PlannerSettings, text: NotificationText, clock: any NotifyClock) {
        self.rules = rules
        self.settings = settings
        self.text = text
        self.clock = clock
    }

    // MARK: Routing

    /// Where an alert goes: receivers told at once, and an escalation order (critical only).
    public struct Routing: Sendable, Equatable {
        public var immediate: [String] = []
        public var escalation: [String] = []
        public var escalateAfter: Double
    }

    /// Applies the routes, in order, to one alert.
    public func route(_ alert: Alert, person: String) -> Routing {
        var routing = Routing(escalateAfter: settings.escalateAfterSeconds)
        if alert.kind == "test" {
            routing.immediate = rules.receivers.map(\.name)
            return routing
        }
        for route in rules.routes where matches(route.match, alert: alert, person: person) {
            let escalate = alert.severity == .critical && (route.escalate ?? true) && routing.escalation.isEmpty
            if escalate {
                routing.escalation = route.receivers
                routing.escalateAfter = route.escalateAfterSeconds ?? settings.escalateAfterSeconds
            } else {
                for name in route.receivers where !routing.immediate.contains(name) { routing.immediate.append(name) }
            }
            if route.continue != true { break }
        }
        routing.immediate.removeAll { routing.escalation.first == $0 }
        return routing
    }

    /// True when every condition given holds.
    public func matches(_ match: NotifyRules.Match?, alert: Alert, person: String) -> Bool {
        guard let match else { return true }
        if let kinds = match.kinds, !kinds.contains(alert.kind) { return false }
        if let severities = match.severities, !severities.contains(alert.severity) { return false }
        if let minimum = match.minSeverity, alert.severity < minimum { return false }
        if let persons = match.persons, !persons.contains(person) { return false }
        if let sites = match.sites {
            guard let site = alert.site else { return false }
            if !sites.contains(site) && !(site.limb.map { sites.contains($0) } ?? false) { return false }
        }
        if let window = match.between, !window.contains(alert.at, in: text.home) { return false }
        return true
    }

    func isPerson(_ receiver: String, person: String) -> Bool {
        rules.receiver(named: receiver)?.isPerson ?? (receiver == person)
    }

    // MARK: Inputs

    /// Takes in an alert; returns what must be sent now (critical and test alerts).
    public mutating func receive(_ alert: Alert, person: String) -> [AlertNotification] {
        let now = clock.now
        guard seen[alert.alertId] == nil, !acknowledged.contains(alert.alertId) else { return [] }
        seen[alert.alertId] = now
        let routing = route(alert, person: person)
        var out: [AlertNotification] = []
        if alert.kind == "test" {
            for receiver in routing.immediate {
                let words = text.alert([alert], person: person, toPerson: isPerson(receiver, person: person), now: now)
                out.append(AlertNotification(receiver: receiver, purpose: .test, person: person, alerts: [alert],
                                        title: words.title, text: words.text, createdAt: now))
            }
            return out
        }
        if let first = routing.escalation.first {
            let next = routing.escalation.dropFirst().first
            let words = text.alert([alert], person: person, toPerson: isPerson(first, person: person), now: now,
                                   escalateTo: next, escalateAfter: next == nil ? nil : routing.escalateAfter)
            out.append(AlertNotification(receiver: first, purpose: .alert, person: person, alerts: [alert], title: words.title,
                                    text: words.text, actions: text.actions(alert, receiver: first, toPerson: isPerson(first, person: person), now: now),
                                    escalationStep: 0, createdAt: now))
            escalations[alert.alertId] = Escalation(
                alert: alert, person: person, steps: routing.escalation, nextStep: 1,
                nextAt: routing.escalation.count > 1 ? now + routing.escalateAfter : nil,
                after: routing.escalateAfter, startedAt: now)
        }
        for receiver in routing.immediate {
            if alert.severity == .critical {
                let words = text.alert([alert], person: person, toPerson: isPerson(receiver, person: person), now: now)
                out.append(AlertNotification(receiver: receiver, purpose: .alert, person: person, alerts: [alert],
                                        title: words.title, text: words.text,
                                        actions: text.actions(alert, receiver: receiver, toPerson: isPerson(receiver, person: person), now: now),
                                        createdAt: now))
            } else {
                enqueue(alert, person: person, receiver: receiver, now: now)
            }
        }
        remember(out)
        return out + due()
    }

    private mutating func enqueue(_ alert: Alert, person: String, receiver: String, now: Double) {
        let key = "\(receiver)|\(person)|\(alert.groupKey)"
        var group = groups[key] ?? Group(receiver: receiver, person: person)
        group.pending.append(alert)
        if group.flushAt == nil {
            if let last = group.lastSentAt, now < last + settings.repeatIntervalSeconds {
                group.flushAt = last + settings.repeatIntervalSeconds
            } else {
                group.flushAt = now + settings.groupWaitSeconds
            }
        }
        groups[key] = group
    }

    /// A person or caregiver acknowledged an alert: escalation stops, waiting copies are
    /// dropped, and whoever was told hears that it is dealt with (or was a false alarm).
    public mutating func acknowledge(_ ack: Acknowledgement) -> [AlertNotification] {
        let now = clock.now
        guard acknowledged.insert(ack.alertId).inserted else { return [] }
        escalations[ack.alertId] = nil
        for key in groups.keys { groups[key]!.pending.removeAll { $0.alertId == ack.alertId } }
        guard let record = told[ack.alertId] else { return [] }
        // A false alarm goes to everyone who was told (the one who said so gets it as a
        // confirmation); a plain "I'm OK" to the others who were told.
        let audience = ack.falseAlarm ? record.receivers : record.receivers.filter { $0 != ack.by }
        let out = audience.map { receiver in
            let words = text.acknowledged(record.alert, person: record.person, ack: ack,
                                          toPerson: isPerson(receiver, person: record.person), now: now)
            return AlertNotification(receiver: receiver, purpose: ack.falseAlarm ? .falseAlarm : .acknowledged,
                                person: record.person, alerts: [record.alert], title: words.title, text: words.text,
                                createdAt: now)
        }
        return out
    }

    /// Someone pressed "I need help" (OSD's manual alarm): the escalation's remaining
    /// receivers are told now, and those told before hear it too; an "I'm OK" still ends it.
    /// Only the first request per alert counts; unknown or acknowledged alerts get nothing.
    public mutating func helpRequested(_ alertId: UUID, by: String) -> [AlertNotification] {
        let now = clock.now
        guard !acknowledged.contains(alertId), helpAsked.insert(alertId).inserted else { return [] }
        let escalation = escalations[alertId]
        guard let alert = escalation?.alert ?? told[alertId]?.alert,
              let person = escalation?.person ?? told[alertId]?.person else { return [] }
        var audience = told[alertId]?.receivers ?? []
        for step in escalation?.steps.dropFirst(escalation?.nextStep ?? 0) ?? [] where !audience.contains(step) { audience.append(step) }
        let askedByPerson = by == person || isPerson(by, person: person)
        audience.removeAll { $0 == by || (askedByPerson && isPerson($0, person: person)) }
        if var escalation {
            escalation.nextStep = escalation.steps.count
            escalation.nextAt = nil
            escalations[alertId] = escalation
        }
        let out = audience.map { receiver in
            let toPerson = isPerson(receiver, person: person)
            let words = text.helpRequested(alert, person: person, by: by, toPerson: toPerson, now: now)
            return AlertNotification(receiver: receiver, purpose: .helpRequested, person: person, alerts: [alert],
                                     title: words.title, text: words.text,
                                     actions: [text.okAction(alert, receiver: receiver, now: now)], createdAt: now)
        }
        remember(out)
        return out
    }

    /// Whether an alert was acknowledged.
    public func isAcknowledged(_ alertId: UUID) -> Bool { acknowledged.contains(alertId) }

    /// Escalations still running (alert ids).
    public var openEscalations: [UUID] { escalations.filter { $0.value.nextAt != nil }.map(\.key) }

    // MARK: Time passing

    /// What is due now: grouped notifications whose wait is over, escalation steps.
    public mutating func due() -> [AlertNotification] {
        let now = clock.now
        var out: [AlertNotification] = []
        for key in groups.keys.sorted() {
            guard var group = groups[key], let flushAt = group.flushAt, flushAt <= now else { continue }
            if group.pending.isEmpty {
                group.flushAt = nil
            } else if let quiet = settings.quietHours, quiet.contains(now, in: text.home) {
                group.flushAt = quiet.end(after: now, in: text.home)
            } else {
                let alerts = group.pending.sorted { $0.at < $1.at }
                let words = text.alert(alerts, person: group.person, toPerson: isPerson(group.receiver, person: group.person), now: now)
                out.append(AlertNotification(receiver: group.receiver, purpose: .alert, person: group.person, alerts: alerts,
                                        title: words.title, text: words.text, createdAt: now))
                group.pending = []
                group.flushAt = nil
                group.lastSentAt = now
            }
            groups[key] = group
        }
        for id in escalations.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
            guard var escalation = escalations[id], let nextAt = escalation.nextAt, nextAt <= now else { continue }
            let receiver = escalation.steps[escalation.nextStep]
            let notified = Array(escalation.steps.prefix(escalation.nextStep))
            let words = text.escalation(escalation.alert, person: escalation.person, waited: now - escalation.startedAt,
                                        notified: notified, now: now)
            out.append(AlertNotification(receiver: receiver, purpose: .escalation, person: escalation.person,
                                    alerts: [escalation.alert], title: words.title, text: words.text,
                                    actions: [text.okAction(escalation.alert, receiver: receiver, now: now)], escalationStep: escalation.nextStep,
                                    createdAt: now))
            escalation.nextStep += 1
            escalation.nextAt = escalation.nextStep < escalation.steps.count ? now + escalation.after : nil
            escalations[id] = escalation
        }
        remember(out)
        forgetOld(now: now)
        return out
    }

    private mutating func remember(_ notifications: [AlertNotification]) {
        for note in notifications where note.purpose == .alert || note.purpose == .escalation || note.purpose == .helpRequested {
            for alert in note.alerts {
                var record = told[alert.alertId] ?? Told(alert: alert, person: note.person, receivers: [], at: note.createdAt)
                if !record.receivers.contains(note.receiver) { record.receivers.append(note.receiver) }
                told[alert.alertId] = record
            }
        }
    }

    /// Keeps memory bounded: state older than two days is dropped.
    private mutating func forgetOld(now: Double) {
        let horizon = now - 2 * 86_400
        guard now - lastCleanup > 600 else { return }
        lastCleanup = now
        seen = seen.filter { $0.value > horizon }
        told = told.filter { $0.value.at > horizon }
        escalations = escalations.filter { $0.value.startedAt > horizon }
        groups = groups.filter { !$0.value.pending.isEmpty || ($0.value.lastSentAt ?? now) > now - settings.repeatIntervalSeconds }
    }
}
