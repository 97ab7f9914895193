import ArgumentParser
import Foundation
import Logging
import SpasmConfig
import SpasmErrors
import SpasmNotify
import SpasmRuntime
import SpasmSchema

/// `spasmwatch notify …`: notification tools.
struct NotifyGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Notification tools.",
        subcommands: [NotifyTestCommand.self])
}

/// `spasmwatch notify test`: a test alert through every route.
struct NotifyTestCommand: AsyncParsableCommand, ReportsWhetherRunning {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test alert to every receiver through each of its channels, and say what each really got.",
        discussion: """
            By default the test alert goes on the bus: the running spasmwatch-notify sends it through every receiver's every channel with its current rules, and this command reports, from notify's delivery reports, what happened to each: sent, failed (with the error), gave up, or nothing heard. Custom alert consumers receive it too.

            Exit status: 0 all sent, 1 something was not sent, 2 spasmwatch-notify (or the whole stack) is not running.

            With --dry-run the CLI sends it itself, using this home's notify.json, without the running service (exit 1 when any channel failed): a check of the file alone.
            """)

    @OptionGroup var options: CommonOptions

    @Flag(help: "Check the rules file only: the CLI sends the test itself, not the running spasmwatch-notify.")
    var dryRun = false

    /// The default since `notify test` goes through the running service; kept for scripts.
    @Flag(help: .hidden)
    var viaBus = false

    @Option(help: "Severity of the test alert: info, warning or critical.")
    var severity: String = "info"

    @Option(help: "Seconds to wait for spasmwatch-notify's delivery reports (retries included).")
    var wait: Double = 20

    func run() async throws {
        let (home, configuration) = try options.load()
        guard let severity = AlertSeverity(rawValue: severity) else {
            throw ValidationError("--severity must be info, warning or critical")
        }
        if dryRun && viaBus { throw ValidationError("--dry-run (the file alone) and --via-bus (the running service) exclude each other") }
        guard wait > 0 else { throw ValidationError("--wait must be above 0 seconds") }
        let now = Date().timeIntervalSince1970
        let alert = Alert(
            kind: "test", severity: severity, groupKey: "test", title: "SpasmWatch test",
            message: "A test alert from spasmwatch notify test. Nothing happened; no action is needed.", at: now)
        if dryRun {
            try await sendItself(alert, home: home, configuration: configuration)
        } else {
            try await NotifyTestThroughService(home: home, configuration: configuration, wait: wait).run(alert)
        }
    }

    /// `--dry-run`: the CLI sends the test itself, with the rules file of this home.
    func sendItself(_ alert: Alert, home: DataHome, configuration: Configuration) async throws {
        let setup: NotifySetup
        do {
            setup = try NotifySetup(home: home, configuration: configuration)
        } catch let error as SpasmError where error.code == .notifyConfig {
            throw ValidationError(error.description)
        }
        var planner = NotificationPlanner(rules: setup.rules, settings: setup.planner, text: setup.text, clock: SystemClock())
        let channels = ChannelFactory.make(setup.rules, home: home, settings: configuration.notify)
        print("Rules: \(setup.origin) (checked by the CLI itself, not by the running spasmwatch-notify)")
        if setup.rules.caregivers(person: configuration.person).isEmpty { print(NotifyRules.noCaregiverWarning) }
        var failures = 0
        for note in planner.receive(alert, person: configuration.person) {
            for channel in channels[note.receiver] ?? [] {
                do {
                    try await channel.send(note)
                    print("  ok      \(note.receiver) via \(Self.describe(channel))")
                } catch {
                    failures += 1
                    print("  FAILED  \(note.receiver) via \(Self.describe(channel)): \(error)")
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    static func describe(_ channel: any NotificationChannel) -> String {
        switch channel {
        case let webhook as WebhookChannel: "webhook (\(webhook.format.rawValue)) \(webhook.url.absoluteString)"
        case let file as FileChannel: "file \(file.url.path)"
        case let command as CommandChannel: "command \(command.command.joined(separator: " "))"
        default: channel.name
        }
    }
}
