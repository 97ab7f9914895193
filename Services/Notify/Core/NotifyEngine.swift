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
            for channel in receiverChannels {
                let id = UUID()
                inFlight[id] = Task { [recorder, journal, clock, logger] in
                    await Self.deliver(note, through: channel, recorder: recorder, journal: journal, clock: clock, logger: logger)
                    self.finished(id)
                }
            }
        }
    }

    private func finished(_ id: UUID) { inFlight[id] = nil }

    /// One notification through one channel: attempts with back-off until one gets through
    /// or the channel's attempts are used up. Every attempt is reported.
    static func deliver(_ note: AlertNotification, through channel: any NotificationChannel, recorder: any DeliveryRecorder,
                        journal: NotifyJournal?, clock: any NotifyClock, logger: Logger) async {
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
                return
            }
            logger.warning("delivery failed", metadata: [
                "receiver": "\(note.receiver)", "channel": "\(channel.name)", "attempt": "\(attempt)",
                "outcome": "\(outcome.rawValue)", "error": "\(error ?? "")"])
            if last { return }
            if Task.isCancelled { return }
            try? await Task.sleep(for: .milliseconds(Int64(policy.delay(after: attempt) * 1000)))
            if Task.isCancelled { return }
        }
    }
}
