import Foundation
import Logging
import SpasmSchema

/// Where each delivery attempt is reported: a `Delivery` on `delivery.<channel>` through
/// the durable outbox in the service; a list in tests.
public protocol DeliveryRecorder: Sendable {
    func record(_ delivery: Delivery, person: String) async
}

/// Runs the planner against real channels: takes in alerts and acknowledgements, sends
/// what the planner says through each receiver's channels with retries and back-off,
/// reports every attempt, and keeps the journal (delivered, acknowledged) up to date.
public actor NotifyEngine {
    private var planner: NotificationPlanner
    private var channels: [String: [any NotificationChannel]]
    private let journal: NotifyJournal?
    private let recorder: any DeliveryRecorder
    private let clock: any NotifyClock
    private let logger: Logger
    private var inFlight: [UUID: Task<Void, Never>] = [:]
    /// Journal writes in the order the planner made them (a later step never overwritten
    /// by an earlier one).
    private var lastSave: Task<Void, Never>?

    /// Marks a notification sent again because a restart interrupted it.
    public static let resentMark = " (resent after a restart)"

    public init(
        planner: NotificationPlanner, channels: [String: [any NotificationChannel]], journal: NotifyJournal?,
        recorder: any DeliveryRecorder, clock: any NotifyClock, logger: Logger
    ) {
        self.planner = planner
        self.channels = channels
        self.journal = journal
        self.recorder = recorder
        self.clock = clock
        self.logger = logger
    }

    /// New rules and channels (notify.json reloaded). Open escalations, waiting groups and
    /// sends under way are kept; what is sent from now on uses the new rules.
    public func update(
        rules: NotifyRules, settings: PlannerSettings, text: NotificationText,
        channels: [String: [any NotificationChannel]]
    ) {
        planner.update(rules: rules, settings: settings, text: text)
        self.channels = channels
    }

    /// A new alert from the bus (or the watchdog). Re-sent copies are ignored.
    public func take(_ alert: Alert, person: String) async {
        if let journal, alert.kind != "test" {
            do {
                guard try await journal.record(alert, person: person, at: clock.now) else { return }
            } catch {
                logger.error("journal write failed", metadata: ["error": "\(error)"])
            }
        }
        await dispatch(planner.receive(alert, person: person))
    }

    /// What a restart found in the journal, taken up.
    public struct Resumed: Sendable, Equatable {
        /// Sends a crash interrupted, sent again (marked as resent).
        public var sends = 0
        /// Escalations carried on at the step they had reached.
        public var escalations = 0
        /// Alerts nobody was told about yet, routed again.
        public var undelivered = 0
        /// The time of the oldest alert whose escalation was carried on (to ask storage for
        /// answers given while notify was down).
        public var oldestEscalation: Double?

        public init(sends: Int = 0, escalations: Int = 0, undelivered: Int = 0, oldestEscalation: Double? = nil) {
            self.sends = sends
            self.escalations = escalations
            self.undelivered = undelivered
            self.oldestEscalation = oldestEscalation
        }
    }

    /// After a restart, from notify's own journal: sends that did not finish (the same
    /// notification, through the same channel, marked "(resent after a restart)"),
    /// escalations still running (at the step they had reached), and alerts nobody was
    /// told about. A delivered alert whose escalation is over is not sent again.
    public func resumeFromJournal(undeliveredSince since: Double) async -> Resumed {
        guard let journal else { return Resumed() }
        var resumed = Resumed()
        var handled = Set<UUID>()
        for job in (try? await journal.pendingJobs()) ?? [] {
            // The same channel as before, found by its spec when the rules changed since.
            let specs = planner.rules.receiver(named: job.receiver)?.channels ?? []
            let index = job.channelSpec.map { specs.firstIndex(of: $0) } ?? job.channelIndex
            guard var note = try? JSONDecoder().decode(AlertNotification.self, from: job.notification),
                let index, let channel = channels[job.receiver].flatMap({ index < $0.count ? $0[index] : nil })
            else {
                try? await journal.removeJob(job.id)  // the rules changed: that channel is gone
                continue
            }
            if !note.title.hasSuffix(Self.resentMark) { note.title += Self.resentMark }
            start(note, channel: channel, job: job)
            handled.formUnion(note.alertIds)
            resumed.sends += 1
        }
        for state in (try? await journal.runningEscalations()) ?? [] {
            if let entry = try? await journal.entry(state.alert.alertId), entry.acknowledgedAt != nil { continue }
            planner.restore(state)
            handled.insert(state.alert.alertId)
            resumed.escalations += 1
            resumed.oldestEscalation = min(resumed.oldestEscalation ?? state.alert.at, state.alert.at)
        }
        for entry in (try? await journal.undelivered(since: since)) ?? [] {
            guard let alert = entry.alert, !handled.contains(alert.alertId) else { continue }
            resumed.undelivered += 1
            await dispatch(planner.receive(alert, person: entry.person))
        }
        return resumed
    }

    /// Alerts storage has that notify may never have seen (published while it was down).
    /// Those the journal already knows were dealt with by `resumeFromJournal`.
    public func resume(_ pending: [PendingAlert]) async -> Int {
        var taken = 0
        for item in pending where !item.acknowledged && !planner.isAcknowledged(item.alert.alertId) {
            if let journal {
                guard (try? await journal.record(item.alert, person: item.person, at: clock.now)) != false else { continue }
            }
            taken += 1
            await dispatch(planner.receive(item.alert, person: item.person))
        }
        return taken
    }

    /// Acknowledgements storage has (given while notify was down): each one not yet known
    /// stops its escalation as if it had come over the bus. Returns how many were new.
    public func takeMissed(_ acks: [Acknowledgement]) async -> Int {
        var taken = 0
        for ack in acks where !planner.isAcknowledged(ack.alertId) {
            if let journal, let entry = try? await journal.entry(ack.alertId), entry.acknowledgedAt != nil { continue }
            taken += 1
            await take(ack)
        }
        return taken
    }

    /// Someone acknowledged an alert.
    public func take(_ ack: Acknowledgement) async {
        if let journal {
            do { try await journal.markAcknowledged(ack) } catch {
                logger.error("journal write failed", metadata: ["error": "\(error)"])
            }
        }
        guard !planner.isAcknowledged(ack.alertId) else { return }  // a re-sent copy
        let notes = planner.acknowledge(ack)
        logger.info("acknowledged", metadata: ["alert": "\(ack.alertId)", "by": "\(ack.by)", "falseAlarm": "\(ack.falseAlarm)"])
        await dispatch(notes)
    }

    /// "I need help" presses notify did not hear (it was down): taken up only for an
    /// escalation still running, so one already dealt with before a restart is not told again.
    public func takeMissed(_ helps: [HelpRequest]) async -> Int {
        var taken = 0
        let open = Set(planner.openEscalations)
        for help in helps where open.contains(help.alertId) && !planner.isAcknowledged(help.alertId) {
            taken += 1
            await take(help)
        }
        return taken
    }

    /// Someone pressed "I need help": everyone left on the escalation is told now.
    public func take(_ help: HelpRequest) async {
        let notes = planner.helpRequested(help.alertId, by: help.by)
        logger.notice("help requested", metadata: ["alert": "\(help.alertId)", "by": "\(help.by)", "told": "\(notes.map(\.receiver))"])
        await dispatch(notes)
    }

    /// Sends whatever has become due (group windows over, escalation steps).
    public func tick() async {
        await dispatch(planner.due())
    }

    public var openEscalations: [UUID] { planner.openEscalations }

    /// The rules in force.
    public var rules: NotifyRules { planner.rules }

    /// At shutdown: stops waiting retries (an attempt under way ends within its timeout).
    /// What did not get through is resumed on the next start.
    public func cancelDeliveries() async {
        for task in inFlight.values { task.cancel() }
        await idle()
    }

    /// Waits until every delivery in flight has finished (tests, shutdown).
    public func idle() async {
        await lastSave?.value
        while let task = inFlight.values.first {
            await task.value
        }
    }

    /// Writes the sends (one job per notification and channel) and the escalation progress
    /// to the journal in one transaction, then starts the sends.
    private func dispatch(_ notes: [AlertNotification]) async {
        let changes = planner.takeEscalationChanges()
        var sends: [(AlertNotification, any NotificationChannel, NotifyJournal.Job?)] = []
        for note in notes {
            let receiverChannels = channels[note.receiver] ?? []
            if receiverChannels.isEmpty { logger.warning("receiver has no channels", metadata: ["receiver": "\(note.receiver)"]) }
            for (index, channel) in receiverChannels.enumerated() {
                var job: NotifyJournal.Job?
                if journal != nil, note.purpose != .test, let data = try? WireCodec.encode(note) {
                    let spec = planner.rules.receiver(named: note.receiver)?.channels
                    job = NotifyJournal.Job(
                        id: UUID().uuidString, receiver: note.receiver, channelIndex: index,
                        notification: data, createdAt: clock.now,
                        channel: spec.flatMap { index < $0.count ? $0[index] : nil })
                }
                sends.append((note, channel, job))
            }
        }
        if let journal, !(sends.isEmpty && changes.isEmpty) {
            let jobs = sends.compactMap(\.2)
            let (previous, now, logger) = (lastSave, clock.now, logger)
            let save = Task {
                await previous?.value
                do { try await journal.save(jobs: jobs, escalations: changes, at: now) } catch {
                    logger.error("journal write failed", metadata: ["error": "\(error)"])
                }
            }
            lastSave = save
            await save.value
        }
        for (note, channel, job) in sends { start(note, channel: channel, job: job) }
    }

    /// One notification through one channel, as a task; its journal job is removed when done.
    private func start(_ note: AlertNotification, channel: any NotificationChannel, job: NotifyJournal.Job?) {
        let id = UUID()
        inFlight[id] = Task { [recorder, journal, clock, logger] in
            let finished = await Self.deliver(
                note, through: channel, recorder: recorder, journal: journal, clock: clock,
                logger: logger)
            // Interrupted by shutdown: the job stays and is taken up at the next start.
            if finished, let job, let journal { try? await journal.removeJob(job.id) }
            self.finished(id)
        }
    }

    private func finished(_ id: UUID) { inFlight[id] = nil }

    /// One notification through one channel: attempts with back-off until one gets through
    /// or the channel's attempts are used up. Every attempt is reported. Returns false when
    /// shutdown interrupted it before a final outcome.
    static func deliver(
        _ note: AlertNotification, through channel: any NotificationChannel, recorder: any DeliveryRecorder,
        journal: NotifyJournal?, clock: any NotifyClock, logger: Logger
    ) async -> Bool {
        let policy = channel.retry
        for attempt in 1...policy.maxAttempts {
            var error: String?
            do {
                try await channel.send(note)
            } catch let failure {
                error = "\(failure)"
            }
            let last = attempt == policy.maxAttempts
            let outcome: Delivery.Outcome = error == nil ? .sent : (last ? .gaveUp : .failed)
            let delivery = Delivery(
                alertIds: note.alertIds, receiver: note.receiver, channel: channel.name, attempt: attempt,
                outcome: outcome, error: error, at: clock.now, text: "\(note.title): \(note.text)")
            await recorder.record(delivery, person: note.person)
            if error == nil {
                if note.purpose != .test, let journal { try? await journal.markDelivered(note.alertIds, at: clock.now) }
                return true
            }
            logger.warning(
                "delivery failed",
                metadata: [
                    "receiver": "\(note.receiver)", "channel": "\(channel.name)", "attempt": "\(attempt)",
                    "outcome": "\(outcome.rawValue)", "error": "\(error ?? "")",
                ])
            if last { return true }
            if Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(Int64(policy.delay(after: attempt) * 1000)))
            if Task.isCancelled { return false }
        }
        return true
    }
}
