import SpasmSync
import Dispatch
import Foundation
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmNotify
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmSecurity

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
    /// notify.json: the rules in force and the file's trouble (only the run loop changes it).
    let rulesFile: Locked<RulesFile>
    /// The rules in force (for the heartbeat).
    let rulesInForce: Locked<NotifyRules>
    let homeTime: HomeTime
    /// Set by SIGHUP: read notify.json again now.
    let hangup = Locked(false)
    /// Signs the alerts' action links (nil: no links); kept across reloads.
    let actionKey: ActionKey?
    /// Why alerts carry no (or an insecure) action link, for the heartbeat.
    let linkWarning: String?

    init(environment: ServiceEnvironment, engine: NotifyEngine, inbox: BusSubscriber, sender: ReliableSender,
         journal: NotifyJournal, storage: any PendingAlertSource, watchdog: Watchdog, clock: any NotifyClock,
         rulesFile: RulesFile, rules: NotifyRules, actionKey: ActionKey?, linkWarning: String?) {
        self.actionKey = actionKey
        self.linkWarning = linkWarning
        self.rulesFile = Locked(rulesFile)
        self.rulesInForce = Locked(rules)
        self.homeTime = (try? HomeTime(configuration: environment.configuration)) ?? HomeTime(timeZone: .current)
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
        // SIGHUP: reload notify.json (the default action, ending the process, is turned off).
        signal(SIGHUP, SIG_IGN)
        let hangupSource = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let hangup = self.hangup
        hangupSource.setEventHandler { hangup.withLock { $0 = true } }
        hangupSource.resume()
        defer { hangupSource.cancel() }
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
                        let forced = self.hangup.withLock { value in defer { value = false }; return value }
                        if forced || self.clock.now - lastCheck >= 1 {
                            await self.checkRules(force: forced)
                        }
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

    /// What an earlier run did not finish: first from notify's own journal (interrupted
    /// sends, escalations at the step they reached, alerts nobody was told about), then
    /// from storage (alerts published while notify was down). Storage may start after us:
    /// a few tries.
    func resume() async {
        let settings = environment.configuration.notify
        _ = try? await journal.prune(before: clock.now - max(30 * 86_400, settings.resumeWindowSeconds))
        let since = clock.now - settings.resumeWindowSeconds
        let resumed = await engine.resumeFromJournal(undeliveredSince: since)
        environment.counters.add("resumed.sends", Int64(resumed.sends))
        environment.counters.add("resumed.escalations", Int64(resumed.escalations))
        environment.counters.add("resumed.journal", Int64(resumed.undelivered))
        environment.logger.info("resume finished", metadata: [
            "interruptedSends": "\(resumed.sends)", "escalations": "\(resumed.escalations)",
            "undelivered": "\(resumed.undelivered)"])
        for attempt in 1...5 {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            do {
                let pending = try await storage.undeliveredAlerts(since: since)
                let taken = await engine.resume(pending)
                environment.logger.info("asked storage for undelivered alerts", metadata: [
                    "alerts": "\(pending.count)", "new": "\(taken)"])
                environment.counters.add("resumed.storage", Int64(taken))
                if let oldest = resumed.oldestEscalation { await takeMissedAcknowledgements(since: oldest) }
                return
            } catch {
                environment.logger.notice("storage not answering yet", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// An escalation carried on after a restart stops if someone answered while notify was
    /// down (the acknowledgement went to storage, not to us), and tells everyone left at
    /// once if the person asked for help meanwhile.
    func takeMissedAcknowledgements(since: Double) async {
        do {
            let acks = try await storage.acknowledgements(since: since - 1)
            let taken = await engine.takeMissed(acks)
            if taken > 0 {
                environment.logger.notice("acknowledgements given while notify was down", metadata: ["acknowledgements": "\(taken)"])
                environment.counters.add("resumed.acknowledgements", Int64(taken))
            }
        } catch {
            environment.logger.notice("could not ask storage for acknowledgements", metadata: ["error": "\(error)"])
        }
        do {
            let taken = await engine.takeMissed(try await storage.helpRequests(since: since - 1))
            if taken > 0 {
                environment.logger.notice("help asked for while notify was down", metadata: ["helpRequests": "\(taken)"])
                environment.counters.add("resumed.help_requests", Int64(taken))
            }
        } catch {
            environment.logger.notice("could not ask storage for help requests", metadata: ["error": "\(error)"])
        }
    }

    /// Looks at notify.json (every second, and at once on SIGHUP). New good rules take
    /// effect for what is sent from now on; a bad file keeps the rules in force and says why.
    func checkRules(force: Bool) async {
        let now = clock.now
        let (outcome, status) = rulesFile.withLock { file in (file.check(force: force, now: now), file.status) }
        let logger = environment.logger
        switch outcome {
        case .unchanged:
            if force { logger.info("rules checked on SIGHUP: unchanged", metadata: ["rules": "\(status.describe(homeTime, now: now))"]) }
        case .rejected(let problem):
            environment.counters.add("rules.rejected")
            logger.error("rules file not used: the rules in force stay", metadata: [
                "problem": "\(problem)", "rules": "\(status.describe(homeTime, now: now))"])
        case .loaded(let rules):
            do {
                let setup = try NotifySetup(rules: rules, origin: status.source, configuration: environment.configuration,
                                            actionKey: actionKey)
                await engine.update(rules: setup.rules, settings: setup.planner, text: setup.text,
                                    channels: ChannelFactory.make(setup.rules, home: environment.home, settings: environment.configuration.notify))
                environment.counters.add("rules.reloaded")
                logger.notice("rules reloaded", metadata: [
                    "reason": "\(force ? "SIGHUP" : "file changed")", "rules": "\(status.source)",
                    "receivers": "\(rules.receivers.map(\.name).joined(separator: ","))", "routes": "\(rules.routes.count)",
                    "caregivers": "\(rules.caregivers(person: environment.configuration.person).joined(separator: ","))"])
                rulesInForce.withLock { $0 = rules }
            } catch {
                logger.error("rules not used", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The heartbeat's facts about routing: `rules`, `receivers`, `caregivers`, and
    /// `warning.caregiver` / `warning.rules` while they apply (`spasmwatch status` shows them).
    func heartbeatInfo() -> [String: String] {
        let status = rulesFile.withLock { $0.status }
        let rules = rulesInForce.withLock { $0 }
        let caregivers = rules.caregivers(person: environment.configuration.person)
        let rulesText = status.describe(homeTime, now: clock.now)
        var info = ["rules": rulesText, "receivers": rules.receivers.map(\.name).joined(separator: ", "),
                    "caregivers": caregivers.isEmpty ? "none" : caregivers.joined(separator: ", ")]
        if caregivers.isEmpty { info["warning.caregiver"] = NotifyRules.noCaregiverWarning }
        if status.problem != nil { info["warning.rules"] = rulesText }
        info["warning.publicURL"] = linkWarning
        return info
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
