import Foundation
import SpasmSchema

/// Timings the planner works with (from `notify.*` settings, overridden by the rules file).
public struct PlannerSettings: Sendable, Equatable {
    public var groupWaitSeconds: Double
    public var repeatIntervalSeconds: Double
    public var escalateAfterSeconds: Double
    public var quietHours: DailyWindow?

    public init(
        groupWaitSeconds: Double = 60, repeatIntervalSeconds: Double = 600, escalateAfterSeconds: Double = 120,
        quietHours: DailyWindow? = nil
    ) {
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
    public private(set) var rules: NotifyRules
    public private(set) var settings: PlannerSettings
    public private(set) var text: NotificationText
    let clock: any NotifyClock

    /// Alert ids already taken in, with when (for de-duplication).
    private var seen: [UUID: Double] = [:]
    private var groups: [String: Group] = [:]
    private var escalations: [UUID: EscalationState] = [:]
    /// Escalations started, advanced or ended since `takeEscalationChanges()` (for the journal).
    private var changedEscalations: Set<UUID> = []
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

    /// A critical alert passed from receiver to receiver until someone answers. Kept in
    /// notify's journal at each step, so a restart carries on where it was.
    public struct EscalationState: Codable, Sendable, Equatable {
        public var alert: Alert
        public var person: String
        /// Receivers in escalation order; `steps[0]` was told at once.
        public var steps: [String]
        /// The step told next, at `nextAt`.
        public var nextStep: Int
        public var nextAt: Double?
        public var after: Double
        public var startedAt: Double
        /// Everyone told so far (escalation steps and receivers told at once).
        public var told: [String]

        public init(
            alert: Alert, person: String, steps: [String], nextStep: Int, nextAt: Double?, after: Double,
            startedAt: Double, told: [String]
        ) {
            self.alert = alert
            self.person = person
            self.steps = steps
            self.nextStep = nextStep
            self.nextAt = nextAt
            self.after = after
            self.startedAt = startedAt
            self.told = told
        }
    }

    /// Escalations changed since the last call: still running (to save), ended (to forget).
    public struct EscalationChanges: Sendable, Equatable {
        public var running: [EscalationState] = []
        public var ended: [UUID] = []
        public var isEmpty: Bool { running.isEmpty && ended.isEmpty }

        public init(running: [EscalationState] = [], ended: [UUID] = []) {
            self.running = running
            self.ended = ended
        }
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

    /// New rules (notify.json reloaded). Escalations under way, groups waiting and what was
    /// told stay: only new alerts are routed by the new rules.
    public mutating func update(rules: NotifyRules, settings: PlannerSettings, text: NotificationText) {
        self.rules = rules
        self.settings = settings
        self.text = text
    }

    /// What happens after a notification: who else is told now and who next.
    func followUp(toldNow: [String], next: [String], after: Double, person: String) -> NotificationText.FollowUp {
        // The person, in a list a caregiver reads, is named as the texts name them.
        let named = { (names: [String]) in names.map { self.isPerson($0, person: person) ? self.text.name(of: person) : $0 } }
        return NotificationText.FollowUp(
            toldNow: named(toldNow), next: named(next), after: after,
            noCaregiver: rules.caregivers(person: person).isEmpty)
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
                out.append(
                    AlertNotification(
                        receiver: receiver, purpose: .test, person: person, alerts: [alert],
                        title: words.title, text: words.text, createdAt: now))
            }
            return out
        }
        let later = Array(routing.escalation.dropFirst())
        let toldAtOnce = routing.escalation.prefix(1) + (alert.severity == .critical ? routing.immediate : [])
        if let first = routing.escalation.first {
            let words = text.alert(
                [alert], person: person, toPerson: isPerson(first, person: person), now: now,
                followUp: followUp(
                    toldNow: routing.immediate, next: later, after: routing.escalateAfter,
                    person: person))
            out.append(
                AlertNotification(
                    receiver: first, purpose: .alert, person: person, alerts: [alert], title: words.title,
                    text: words.text, actions: text.actions(alert, receiver: first, toPerson: isPerson(first, person: person), now: now),
                    escalationStep: 0, createdAt: now))
            if !later.isEmpty {
                escalations[alert.alertId] = EscalationState(
                    alert: alert, person: person, steps: routing.escalation, nextStep: 1,
                    nextAt: now + routing.escalateAfter, after: routing.escalateAfter, startedAt: now,
                    told: Array(toldAtOnce))
                changedEscalations.insert(alert.alertId)
            }
        }
        for receiver in routing.immediate {
            if alert.severity == .critical {
                let words = text.alert(
                    [alert], person: person, toPerson: isPerson(receiver, person: person), now: now,
                    followUp: followUp(
                        toldNow: toldAtOnce.filter { $0 != receiver }, next: later,
                        after: routing.escalateAfter, person: person))
                out.append(
                    AlertNotification(
                        receiver: receiver, purpose: .alert, person: person, alerts: [alert],
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
        if escalations.removeValue(forKey: ack.alertId) != nil { changedEscalations.insert(ack.alertId) }
        for key in groups.keys { groups[key]!.pending.removeAll { $0.alertId == ack.alertId } }
        guard let record = told[ack.alertId] else { return [] }
        // A false alarm goes to everyone who was told (the one who said so gets it as a
        // confirmation); a plain "I'm OK" to the others who were told.
        let audience = ack.falseAlarm ? record.receivers : record.receivers.filter { $0 != ack.by }
        let out = audience.map { receiver in
            let words = text.acknowledged(
                record.alert, person: record.person, ack: ack,
                toPerson: isPerson(receiver, person: record.person), now: now)
            return AlertNotification(
                receiver: receiver, purpose: ack.falseAlarm ? .falseAlarm : .acknowledged,
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
            let person = escalation?.person ?? told[alertId]?.person
        else { return [] }
        var audience = told[alertId]?.receivers ?? []
        for step in escalation?.steps.dropFirst(escalation?.nextStep ?? 0) ?? [] where !audience.contains(step) { audience.append(step) }
        let askedByPerson = by == person || isPerson(by, person: person)
        audience.removeAll { $0 == by || (askedByPerson && isPerson($0, person: person)) }
        // Everyone left on the list is told now: the escalation is over (and saved as such).
        if escalation != nil {
            escalations[alertId] = nil
            changedEscalations.insert(alertId)
        }
        let out = audience.map { receiver in
            let toPerson = isPerson(receiver, person: person)
            let words = text.helpRequested(alert, person: person, by: by, toPerson: toPerson, now: now)
            return AlertNotification(
                receiver: receiver, purpose: .helpRequested, person: person, alerts: [alert],
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

    /// Takes back an escalation an earlier run saved: it goes on at the step it had reached
    /// (at once when that step's time passed while notify was down). The alert counts as
    /// seen, so a re-sent copy of it does not start it over.
    public mutating func restore(_ state: EscalationState) {
        let id = state.alert.alertId
        guard !acknowledged.contains(id), state.nextStep < state.steps.count else { return }
        seen[id] = clock.now
        escalations[id] = state
        told[id] = Told(alert: state.alert, person: state.person, receivers: state.told, at: state.startedAt)
    }

    /// Escalations started, advanced or ended since the last call.
    public mutating func takeEscalationChanges() -> EscalationChanges {
        var changes = EscalationChanges()
        for id in changedEscalations.sorted(by: { $0.uuidString < $1.uuidString }) {
            if var state = escalations[id] {
                state.told = told[id]?.receivers ?? state.told
                changes.running.append(state)
            } else {
                changes.ended.append(id)
            }
        }
        changedEscalations = []
        return changes
    }

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
                out.append(
                    AlertNotification(
                        receiver: group.receiver, purpose: .alert, person: group.person, alerts: alerts,
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
            let notified = told[id]?.receivers ?? Array(escalation.steps.prefix(escalation.nextStep))
            let later = Array(escalation.steps.dropFirst(escalation.nextStep + 1))
            let words = text.escalation(
                escalation.alert, person: escalation.person, waited: now - escalation.startedAt,
                notified: notified, now: now,
                followUp: followUp(
                    toldNow: [], next: later, after: escalation.after,
                    person: escalation.person))
            // A receiver the reloaded rules no longer have is passed over.
            if rules.receiver(named: receiver) != nil {
                out.append(
                    AlertNotification(
                        receiver: receiver, purpose: .escalation, person: escalation.person,
                        alerts: [escalation.alert], title: words.title, text: words.text,
                        actions: [text.okAction(escalation.alert, receiver: receiver, now: now)], escalationStep: escalation.nextStep,
                        createdAt: now))
            }
            escalation.nextStep += 1
            escalation.nextAt = escalation.nextStep < escalation.steps.count ? now + escalation.after : nil
            escalations[id] = escalation.nextAt == nil ? nil : escalation
            changedEscalations.insert(id)
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
        for (id, escalation) in escalations where escalation.startedAt <= horizon {
            escalations[id] = nil
            changedEscalations.insert(id)
        }
        groups = groups.filter { !$0.value.pending.isEmpty || ($0.value.lastSentAt ?? now) > now - settings.repeatIntervalSeconds }
    }
}
