import ArgumentParser
import Foundation
import SpasmConfig
import SpasmNotify
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmSecurity

/// `spasmwatch-notify`: routes alerts to people — grouping, quiet hours, escalation and
/// acknowledgement — through console, file, webhook and command channels.
@main
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-notify",
        abstract: "Route alerts to people: grouping, quiet hours, escalation, acknowledgement; console, file, webhook and command channels.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.notify, instance: "notify", options: options)
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
            environment.logger.critical("notify.json is unusable; running with other rules until it is fixed", metadata: [
                "problem": "\(problem)", "using": "\(rulesFile.status.usingLastGood ? "the last good copy \(rulesFile.lastGoodURL.path)" : rulesFile.status.source)"])
        }
        let setup: NotifySetup
        do {
            setup = try NotifySetup(rules: rules, origin: rulesFile.status.source, configuration: environment.configuration,
                                    actionKey: actionKey)
        } catch let error as NotifyConfigError {
            throw ValidationError(error.description)
        }
        let receipts = try environment.subscribe([Topic.stored(environment.instance)])
        let inbox = try environment.subscribe([Topic.alertPrefix, Topic.acknowledgement, Topic.heartbeatPrefix])
        let outbox = try Outbox.open(url: environment.home.outbox(for: environment.instance))
        let sender = ReliableSender(outbox: outbox, publisher: environment.publisher, receipts: receipts,
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
            watchdog: Watchdog(sensorSilentAfter: environment.configuration.sensor.silentAfterSeconds,
                               serviceSilentAfter: environment.configuration.notify.serviceSilentAfterSeconds,
                               ignoring: [environment.instance],
                               expected: Set(environment.configuration.expectedServices).subtracting([ServiceName.notify]),
                               startedAt: clock.now,
                               startGrace: max(30, 3 * environment.configuration.notify.serviceSilentAfterSeconds)),
            clock: clock, rulesFile: rulesFile, rules: setup.rules, actionKey: actionKey,
            linkWarning: keyWarning ?? environment.configuration.manual.publicURLWarning)
        let caregivers = setup.rules.caregivers(person: environment.configuration.person)
        environment.logger.info("routing", metadata: [
            "receivers": "\(setup.rules.receivers.map(\.name).joined(separator: ","))",
            "routes": "\(setup.rules.routes.count)", "rules": "\(rulesFile.status.source)",
            "caregivers": "\(caregivers.isEmpty ? "none" : caregivers.joined(separator: ","))"])
        if caregivers.isEmpty { environment.logger.warning("\(NotifyRules.noCaregiverWarning)") }
        let heartbeat = environment.heartbeat { (service.heartbeatInfo(), nil) }
        try await environment.run([heartbeat, sender, service], closing: [inbox, receipts])
    }
}
