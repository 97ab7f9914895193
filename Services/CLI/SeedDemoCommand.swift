import ArgumentParser
import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmStore
import ZeroMQ

/// `spasmwatch seed-demo`: sends a 90-day demo history (diary, episodes, alerts) through the
/// bus with a durable outbox, and waits until the store has confirmed all of it. For demos
/// and the report screenshot (deploy/dev/screenshot-report.sh); never on a real home.
struct SeedDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Send a 90-day demo history to a running store (demo homes only).",
        shouldDisplay: false)

    @OptionGroup var options: CommonOptions

    @Option(help: "Days of history ending now.")
    var days: Int = 90

    func run() async throws {
        let (home, configuration) = try options.load()
        let address = try BusAddress.resolve(home: home, configuration: configuration)
        let context = ZMQContext()
        let counters = CounterSet()
        let source = "demo"
        let publisher = try BusPublisher(context: context, address: address, source: source, counters: counters)
        let receipts = try BusSubscriber(context: context, address: address, prefixes: [Topic.stored(source)])
        let outbox = try Outbox.open(url: home.outbox(for: source))
        let sender = ReliableSender(
            outbox: outbox, publisher: publisher, receipts: receipts, counters: counters,
            resendInterval: 2, logger: Logger(label: "seed-demo"))
        let running = Task { try await sender.run() }
        try await Task.sleep(for: .milliseconds(500))
        let history = DemoHistory(endingAt: Date().timeIntervalSince1970, days: days)
        for entry in history.entries { try await sender.send(entry, topic: Topic.manualEntry) }
        for episode in history.episodes { try await sender.send(episode, topic: Topic.episode(episode.kind.rawValue)) }
        for alert in history.alerts { try await sender.send(alert, topic: Topic.alert(alert.severity)) }
        let total = history.entries.count + history.episodes.count + history.alerts.count
        let deadline = Date().addingTimeInterval(60)
        while try await outbox.pendingCount() > 0, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        let pending = try await outbox.pendingCount()
        running.cancel()
        _ = try? await running.value
        await receipts.closeAsync()
        await publisher.closeAsync()
        await onBlockingPool { context.terminate() }
        guard pending == 0 else { throw ValidationError("\(pending) of \(total) messages not confirmed by the store: is it running?") }
        print(
            "sent \(total) messages (\(history.entries.count) diary entries, \(history.episodes.count) episode events, \(history.alerts.count) alerts); all stored"
        )
    }
}
