import SpasmSync
import Foundation
import ServiceLifecycle
import SpasmBus
import SpasmNotify
import SpasmReliability
import SpasmRuntime
import SpasmSchema

/// The running notify service: reads alerts, acknowledgements and heartbeats from the bus,
/// feeds the engine, ticks it for group windows and escalations, runs the watchdog, and
/// on start resumes what an earlier run left undelivered.
final class NotifyService: Service, Sendable {
    let environment: ServiceEnvironment
    let engine: NotifyEngine
    let inbox: BusSubscriber
    let sender: ReliableSender
    let journal: NotifyJournal
    let storage: any PendingAlertSource
    let watchdog: Locked<Watchdog>
    let clock: any NotifyClock
    /// The longest an escalation can run, seconds.
    let escalationSpan: Double

    init(environment: ServiceEnvironment, engine: NotifyEngine, inbox: BusSubscriber, sender: ReliableSender,
         journal: NotifyJournal, storage: any PendingAlertSource, watchdog: Watchdog, clock: any NotifyClock,
         escalationSpan: Double) {
        self.escalationSpan = escalationSpan
        self.environment = environment
        self.engine = engine
        self.inbox = inbox
        self.sender = sender
        self.journal = journal
        self.storage = storage
        self.watchdog = Locked(watchdog)
        self.clock = clock
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.resume() }
                group.addTask {
                    for await message in self.inbox.messages { await self.handle(message) }
                }
                group.addTask {
                    var lastCheck = 0.0
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        await self.engine.tick()
                        self.environment.counters.set("escalations.open", Int64(await self.engine.openEscalations.count))
                        if self.clock.now - lastCheck >= 1 {
                            lastCheck = self.clock.now
                            await self.checkWatchdog()
                        }
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                    self.inbox.stop()
                }
                await group.waitForAll()
            }
        } onGracefulShutdown: {
            self.inbox.stop()
        }
        await engine.cancelDeliveries()
    }

    func handle(_ message: BusMessage) async {
        let counters = environment.counters
        switch message.header.type {
        case Alert.messageType:
            guard let envelope = try? message.decode(Alert.self) else { counters.add("rejected.alert"); return }
            counters.add("alerts.received")
            await engine.take(envelope.body, person: envelope.header.person)
        case Acknowledgement.messageType:
            guard let envelope = try? message.decode(Acknowledgement.self) else { counters.add("rejected.acknowledgement"); return }
            counters.add("acknowledgements.received")
            await engine.take(envelope.body)
        case HelpRequest.messageType:
            guard let envelope = try? message.decode(HelpRequest.self) else { counters.add("rejected.help-request"); return }
            counters.add("help-requests.received")
            await engine.take(envelope.body)
        case Heartbeat.messageType:
            guard let envelope = try? message.decode(Heartbeat.self) else { return }
            let now = clock.now
            watchdog.withLock { $0.observe(envelope.body, at: now) }
        default:
            break
        }
    }

    /// Silent sensors and services: an alert on the bus (reliably, so storage keeps it and
    /// custom consumers see it) and straight into the engine.
    func checkWatchdog() async {
        let now = clock.now
        let alerts = watchdog.withLock { $0.check(now: now) }
        for alert in alerts {
            environment.counters.add("watchdog.alerts")
            environment.logger.notice("watchdog", metadata: ["kind": "\(alert.kind)", "about": "\(alert.groupKey)"])
            do {
                try await sender.send(alert, topic: Topic.alert(alert.severity), id: alert.alertId)
            } catch {
                environment.logger.error("watchdog alert not saved", metadata: ["error": "\(error)"])
            }
            await engine.take(alert, person: environment.configuration.person)
        }
    }

    /// What an earlier run did not finish: first from notify's own journal, then from
    /// storage (alerts published while notify was down). Storage may start after us: a
    /// few tries.
    func resume() async {
        _ = try? await journal.prune(before: clock.now - max(30 * 86_400, environment.configuration.notify.resumeWindowSeconds))
        let jobs = await engine.resumeJobs()
        if jobs > 0 {
            environment.logger.info("resuming interrupted sends", metadata: ["sends": "\(jobs)"])
            environment.counters.add("resumed.sends", Int64(jobs))
        }
        let since = clock.now - environment.configuration.notify.resumeWindowSeconds
        // An escalation runs at most (receivers × escalateAfter); older unanswered critical
        // alerts have reached everyone already.
        let criticalSince = clock.now - max(600, escalationSpan)
        do {
            let unfinished = try await journal.unfinished(since: since, criticalSince: criticalSince).compactMap { entry in
                entry.alert.map { PendingAlert(alert: $0, person: entry.person) }
            }
            if !unfinished.isEmpty {
                environment.logger.info("resuming from the journal", metadata: ["alerts": "\(unfinished.count)"])
                environment.counters.add("resumed.journal", Int64(unfinished.count))
            }
            await engine.resume(unfinished)
        } catch {
            environment.logger.error("journal read failed", metadata: ["error": "\(error)"])
        }
        for attempt in 1...5 {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            do {
                let pending = try await storage.undeliveredAlerts(since: since)
                environment.logger.info("asked storage for undelivered alerts", metadata: ["alerts": "\(pending.count)"])
                environment.counters.add("resumed.storage", Int64(pending.count))
                await engine.resume(pending)
                return
            } catch {
                environment.logger.notice("storage not answering yet", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }
}

/// Reports each delivery attempt as a `Delivery` on `delivery.<channel>`, through the
/// durable outbox: storage keeps them, and they survive a restart of notify.
struct OutboxDeliveryRecorder: DeliveryRecorder {
    let sender: ReliableSender
    let counters: CounterSet

    func record(_ delivery: Delivery, person: String) async {
        counters.add("deliveries.\(delivery.outcome.rawValue)")
        _ = try? await sender.send(delivery, topic: Topic.delivery(delivery.channel), id: delivery.deliveryId, person: person)
    }
}
