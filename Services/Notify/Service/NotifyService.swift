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
import SpasmSync

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
    let homeTime: HomeClock
    /// Set by SIGHUP: read notify.json again now.
    let hangup = Locked(false)
    /// When the tick last looked at the rules file and the watchdog.
    let lastCheck = Locked(0.0)
    /// Signs the alerts' action links (nil: no links); kept across reloads.
    let actionKey: ActionKey?
    /// Why alerts carry no (or an insecure) action link, for the heartbeat.
    let linkWarning: String?

    init(
        environment: ServiceEnvironment, engine: NotifyEngine, inbox: BusSubscriber, sender: ReliableSender,
        journal: NotifyJournal, storage: any PendingAlertSource, watchdog: Watchdog, clock: any NotifyClock,
        rulesFile: RulesFile, rules: NotifyRules, actionKey: ActionKey?, linkWarning: String?
    ) {
        self.actionKey = actionKey
        self.linkWarning = linkWarning
        self.rulesFile = Locked(rulesFile)
        self.rulesInForce = Locked(rules)
        self.homeTime = HomeClock(configuration: environment.configuration)
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
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.resume() }
                    group.addTask {
                        for await message in self.inbox.messages { await self.handle(message) }
                    }
                    await group.waitForAll()
                }
            } onGracefulShutdown: {
                self.inbox.stop()
            }
        } onCancel: {
            self.inbox.stop()
        }
        await engine.cancelDeliveries()
    }

    /// Every 200 ms: group windows and escalations fall due; each second (and at once on
    /// SIGHUP) notify.json is looked at and the watchdog runs.
    func tick() async {
        await engine.tick()
        environment.counters.set("escalations.open", Int64(await engine.openEscalations.count))
        let forced = hangup.withLock { value in
            defer { value = false }
            return value
        }
        let now = clock.now
        let due = lastCheck.withLock { last in
            guard now - last >= 1 else { return false }
            last = now
            return true
        }
        if forced || due { await checkRules(force: forced) }
        if due { await checkWatchdog() }
    }

    func handle(_ message: BusMessage) async {
        let counters = environment.counters
        switch message.header.type {
        case Alert.messageType:
            guard let envelope = try? message.decode(Alert.self) else {
                counters.add("rejected.alert")
                return
            }
            counters.add("alerts.received")
            await engine.take(envelope.body, person: envelope.header.person)
        case Acknowledgement.messageType:
            guard let envelope = try? message.decode(Acknowledgement.self) else {
                counters.add("rejected.acknowledgement")
                return
            }
            counters.add("acknowledgements.received")
            await engine.take(envelope.body)
        case HelpRequest.messageType:
            guard let envelope = try? message.decode(HelpRequest.self) else {
                counters.add("rejected.help-request")
                return
            }
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
        environment.logger.info(
            "resume finished",
            metadata: [
                "interruptedSends": "\(resumed.sends)", "escalations": "\(resumed.escalations)",
                "undelivered": "\(resumed.undelivered)",
            ])
        for attempt in 1...5 {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            do {
                let pending = try await storage.undeliveredAlerts(since: since)
                let taken = await engine.resume(pending)
                environment.logger.info(
                    "asked storage for undelivered alerts",
                    metadata: [
                        "alerts": "\(pending.count)", "new": "\(taken)",
                    ])
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
            logger.error(
                "rules file not used: the rules in force stay",
                metadata: [
                    "problem": "\(problem)", "rules": "\(status.describe(homeTime, now: now))",
                ])
        case .loaded(let rules):
            do {
                let setup = try NotifySetup(
                    rules: rules, origin: status.source, configuration: environment.configuration,
                    actionKey: actionKey)
                await engine.update(
                    rules: setup.rules, settings: setup.planner, text: setup.text,
                    channels: ChannelFactory.make(setup.rules, home: environment.home, settings: environment.configuration.notify))
                environment.counters.add("rules.reloaded")
                logger.notice(
                    "rules reloaded",
                    metadata: [
                        "reason": "\(force ? "SIGHUP" : "file changed")", "rules": "\(status.source)",
                        "receivers": "\(rules.receivers.map(\.name).joined(separator: ","))", "routes": "\(rules.routes.count)",
                        "caregivers": "\(rules.caregivers(person: environment.configuration.person).joined(separator: ","))",
                    ])
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
        var info = [
            "rules": rulesText, "receivers": rules.receivers.map(\.name).joined(separator: ", "),
            "caregivers": caregivers.isEmpty ? "none" : caregivers.joined(separator: ", "),
        ]
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
        // By channel too, for the metrics exporter (spasmwatch_deliveries_total{channel,result}).
        counters.add("deliveries.\(delivery.channel).\(delivery.outcome.rawValue)")
        _ = try? await sender.send(delivery, topic: Topic.delivery(delivery.channel), id: delivery.deliveryId, person: person)
    }
}

extension NotifyService {
    /// Notify's services: the reliable sender of deliveries, the running service (resume,
    /// then the bus inbox), its tick (group windows and escalations; the rules file and the
    /// watchdog each second) and the heartbeat.
    static func build(environment: ServiceEnvironment) throws -> [any Service] {
        // The key for the alerts' action links, only when there is an address to put in them.
        // Without it alerts still go out, with no link (and the heartbeat says why).
        var actionKey: ActionKey?
        var keyWarning: String?
        if environment.configuration.manual.actionLinkBase != nil {
            do {
                actionKey = try ActionKey.load(directory: environment.home.keyDirectory)
            } catch {
                keyWarning = "the action-link key could not be read (\(error)): alerts carry no \"I'm OK\" link"
                environment.logger.error("\(keyWarning!)")
            }
        }
        // A bad notify.json does not stop notify: it runs with the last good rules (or the
        // standard ones) and says so loudly, in the log and in every heartbeat.
        let clock = SystemClock()
        var rulesFile = RulesFile(home: environment.home, configuration: environment.configuration)
        let rules = rulesFile.start(now: clock.now)
        if let problem = rulesFile.status.problem {
            environment.logger.critical(
                "notify.json is unusable; running with other rules until it is fixed",
                metadata: [
                    "problem": "\(problem)",
                    "using": "\(rulesFile.status.usingLastGood ? "the last good copy \(rulesFile.lastGoodURL.path)" : rulesFile.status.source)",
                ])
        }
        let setup = try NotifySetup(
            rules: rules, origin: rulesFile.status.source, configuration: environment.configuration,
            actionKey: actionKey)
        let receipts = try environment.subscribe([Topic.stored(environment.instance)])
        let inbox = try environment.subscribe([Topic.alertPrefix, Topic.acknowledgement, Topic.heartbeatPrefix])
        let outbox = try Outbox.open(url: environment.home.outbox(for: environment.instance))
        let sender = ReliableSender(
            outbox: outbox, publisher: environment.publisher, receipts: receipts,
            counters: environment.counters, logger: environment.logger)
        let journal = try NotifyJournal.open(url: environment.home.dataDirectory.appendingPathComponent("notify.sqlite"))
        let engine = NotifyEngine(
            planner: NotificationPlanner(rules: setup.rules, settings: setup.planner, text: setup.text, clock: clock),
            channels: ChannelFactory.make(setup.rules, home: environment.home, settings: environment.configuration.notify),
            journal: journal, recorder: OutboxDeliveryRecorder(sender: sender, counters: environment.counters),
            clock: clock, logger: environment.logger)
        let service = NotifyService(
            environment: environment, engine: engine, inbox: inbox, sender: sender, journal: journal,
            storage: StoreQueryAlertSource(context: environment.context, endpoint: environment.endpoints.storeQuery),
            watchdog: Watchdog(
                sensorSilentAfter: environment.configuration.sensor.silentAfterSeconds,
                serviceSilentAfter: environment.configuration.notify.serviceSilentAfterSeconds,
                ignoring: [environment.instance],
                expected: Set(environment.configuration.servicesExpected).subtracting([ServiceName.notify]),
                startedAt: clock.now,
                startGrace: max(30, 3 * environment.configuration.notify.serviceSilentAfterSeconds)),
            clock: clock, rulesFile: rulesFile, rules: setup.rules, actionKey: actionKey,
            linkWarning: keyWarning ?? environment.configuration.manual.publicURLWarning)
        let caregivers = setup.rules.caregivers(person: environment.configuration.person)
        environment.logger.info(
            "routing",
            metadata: [
                "receivers": "\(setup.rules.receivers.map(\.name).joined(separator: ","))",
                "routes": "\(setup.rules.routes.count)", "rules": "\(rulesFile.status.source)",
                "caregivers": "\(caregivers.isEmpty ? "none" : caregivers.joined(separator: ","))",
            ])
        if caregivers.isEmpty { environment.logger.warning("\(NotifyRules.noCaregiverWarning)") }
        let heartbeat = environment.heartbeat { (service.heartbeatInfo(), nil) }
        let tick = PeriodicService(every: .milliseconds(200)) { await service.tick() }
        return [heartbeat, sender, service, tick]
    }
}
