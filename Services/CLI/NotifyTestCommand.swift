import ArgumentParser
import Foundation
import Logging
import SpasmConfig
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
struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test alert to every receiver through each of its channels, and say which got through.",
        discussion: """
            By default the CLI sends it itself, using the rules (notify.json) of this home, and
            exits 1 when any channel failed. With --via-bus it publishes a test alert on the bus
            instead: the running spasmwatch-notify sends it through every route, and custom
            alert consumers receive it too.
            """)

    @OptionGroup var options: CommonOptions

    @Flag(help: "Publish the test alert on the bus for the running services instead of sending it directly.")
    var viaBus = false

    @Option(help: "Severity of the test alert: info, warning or critical.")
    var severity: String = "info"

    func run() async throws {
        let (home, configuration) = try options.load()
        guard let severity = AlertSeverity(rawValue: severity) else {
            throw ValidationError("--severity must be info, warning or critical")
        }
        let now = Date().timeIntervalSince1970
        let alert = Alert(kind: "test", severity: severity, groupKey: "test", title: "SpasmWatch test",
                          message: "A test alert from spasmwatch notify test. Nothing happened; no action is needed.", at: now)
        if viaBus {
            let sender = try ReliableCLISender(home: home, configuration: configuration)
            try await sender.send(alert, topic: Topic.alert(severity), id: alert.alertId, person: configuration.person)
            let stored = try await sender.waitForReceipts(seconds: 3)
            await sender.close()
            print("Published test alert \(NotificationText.shortId(alert.alertId)) on \(Topic.alert(severity))\(stored ? " (stored)" : ""); spasmwatch-notify sends it through every route.")
            return
        }
        let setup: NotifySetup
        do {
            setup = try NotifySetup(home: home, configuration: configuration)
        } catch let error as NotifyConfigError {
            throw ValidationError(error.description)
        }
        var planner = NotificationPlanner(rules: setup.rules, settings: setup.planner, text: setup.text, clock: SystemClock())
        let channels = ChannelFactory.make(setup.rules, home: home, settings: configuration.notify)
        print("Rules: \(setup.origin)")
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
