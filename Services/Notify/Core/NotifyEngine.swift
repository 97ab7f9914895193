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
    private let channels: [String: [any NotificationChannel]]
    private let journal: NotifyJournal?
    private let recorder: any DeliveryRecorder
    private let clock: any NotifyClock
    private let logger: Logger
    private var inFlight: [UUID: Task<Void, Never>] = [:]
    /// Alerts whose interrupted sends were taken up again: not resumed a second time.
    private var resumedBySends: Set<UUID> = []

    public init(planner: NotificationPlanner, channels: [String: [any NotificationChannel]], journal: NotifyJournal?,
                recorder: any DeliveryRecorder, clock: any NotifyClock, logger: Logger) {
        self.planner = planner
        self.channels = channels
        self.journal = journal
        self.recorder = recorder
        self.clock = clock
        self.logger = logger
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
        dispatch(planner.receive(alert, person: person))
    }

    /// Alerts an earlier run did not finish (from the journal and from storage).
    public func resume(_ pending: [PendingAlert]) async {
        for item in pending where !item.acknowledged && !planner.isAcknowledged(item.alert.alertId) {
            // A critical alert's escalation starts over even when one send of it was resumed.
            if item.alert.severity != .critical && resumedBySends.contains(item.alert.alertId) { continue }
            if let journal { _ = try? await journal.record(item.alert, person: item.person, at: clock.now) }
            dispatch(planner.receive(item.alert, person: item.person))
        }
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
        dispatch(notes)
    }

    /// Someone pressed "I need help": everyone left on the escalation is told now.
    public func take(_ help: HelpRequest) {
        let notes = planner.helpRequested(help.alertId, by: help.by)
        logger.notice("help requested", metadata: ["alert": "\(help.alertId)", "by": "\(help.by)", "told": "\(notes.map(\.receiver))"])
        dispatch(notes)
    }

    /// Sends whatever has become due (group windows over, escalation steps).
    public func tick() {
        dispatch(planner.due())
    }

    public var openEscalations: [UUID] { planner.openEscalations }

    /// At shutdown: stops waiting retries (an attempt under way ends within its timeout).
    /// What did not get through is resumed on the next start.
    public func cancelDeliveries() async {
        for task in inFlight.values { task.cancel() }
        await idle()
    }

    /// Waits until every delivery in flight has finished (tests, shutdown).
    public func idle() async {
        while let task = inFlight.values.first {
            await task.value
        }
    }

    private func dispatch(_ notes: [AlertNotification]) {
        for note in notes {
            let receiverChannels = channels[note.receiver] ?? []
            if receiverChannels.isEmpty { logger.warning("receiver has no channels", metadata: ["receiver": "\(note.receiver)"]) }
            for (index, channel) in receiverChannels.enumerated() {
                start(note, channel: channel, index: index, job: nil)
            }
        }
    }

    /// Sends that a crash interrupted (from the journal), through the same channel again.
    public func resumeJobs() async -> Int {
        guard let journal, let jobs = try? await journal.pendingJobs() else { return 0 }
        var resumed = 0
        for job in jobs {
            guard let note = try? JSONDecoder().decode(AlertNotification.self, from: job.notification),
                  let channel = channels[job.receiver].flatMap({ job.channelIndex < $0.count ? $0[job.channelIndex] : nil })
            else {
                try? await journal.removeJob(job.id)  // the rules changed: that channel is gone
                continue
            }
            start(note, channel: channel, index: job.channelIndex, job: job)
            resumedBySends.formUnion(note.alertIds)
            resumed += 1
        }
        return resumed
    }

    /// One notification through one channel, as a task, kept in the journal until done.
    private func start(_ note: AlertNotification, channel: any NotificationChannel, index: Int, job existing: NotifyJournal.Job?) {
        let id = UUID()
        inFlight[id] = Task { [recorder, journal, clock, logger] in
            var job = existing
            if job == nil, let journal, note.purpose != .test, let data = try? WireCodec.encode(note) {
                let new = NotifyJournal.Job(id: UUID().uuidString, receiver: note.receiver, channelIndex: index,
                                            notification: data, createdAt: clock.now)
                do { try await journal.addJob(new); job = new } catch {
                    logger.error("journal write failed", metadata: ["error": "\(error)"])
                }
            }
            let finished = await Self.deliver(note, through: channel, recorder: recorder, journal: journal, clock: clock,
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
    static func deliver(_ note: AlertNotification, through channel: any NotificationChannel, recorder: any DeliveryRecorder,
                        journal: NotifyJournal?, clock: any NotifyClock, logger: Logger) async -> Bool {
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
            let delivery = Delivery(alertIds: note.alertIds, receiver: note.receiver, channel: channel.name, attempt: attempt,
                                    outcome: outcome, error: error, at: clock.now, text: "\(note.title): \(note.text)")
            await recorder.record(delivery, person: note.person)
            if error == nil {
                if note.purpose != .test, let journal { try? await journal.markDelivered(note.alertIds, at: clock.now) }
                return true
            }
            logger.warning("delivery failed", metadata: [
                "receiver": "\(note.receiver)", "channel": "\(channel.name)", "attempt": "\(attempt)",
                "outcome": "\(outcome.rawValue)", "error": "\(error ?? "")"])
            if last { return true }
            if Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(Int64(policy.delay(after: attempt) * 1000)))
            if Task.isCancelled { return false }
        }
        return true
    }
}
