import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// `spasmwatch notify test` through the running service: publishes a test alert, then
/// listens for spasmwatch-notify's `delivery.*` reports about it and tells, per receiver and
/// channel, what really happened.
struct NotifyTestThroughService {
    let home: DataHome
    let configuration: Configuration
    /// Seconds to wait for the reports.
    let wait: Double

    /// One receiver's channels of one kind ("anna", "webhook"): reports name no more.
    struct Pair: Hashable, Sendable, Comparable {
        var receiver: String
        var channel: String
        static func < (a: Pair, b: Pair) -> Bool { (a.receiver, a.channel) < (b.receiver, b.channel) }
    }

    /// What the listener heard.
    struct Heard: Sendable {
        /// notify's latest heartbeat: the rules in force (caregivers, warnings) as they were
        /// when the test went through.
        var notify: Heartbeat?
        var notifyAt: Date?
        var deliveries: [Delivery] = []
        var lastDeliveryAt: Date?
    }

    func run(_ alert: Alert) async throws {
        let path = home.root.path
        guard BusState.of(home, configuration: configuration) != .notRunning else {
            print(HomeCheck.notRunning(home))
            print("Nobody was told: spasmwatch-notify is not running. The rules file alone: spasmwatch notify test --dry-run")
            throw ExitCode(2)
        }
        // What the file says each receiver should get: a test alert goes through every channel.
        var expected: [Pair: [ChannelSpec]] = [:]
        var fileNote: String?
        var fileRules: NotifyRules?
        do {
            let rules = try NotifyRules.load(home: home, configuration: configuration)
            fileRules = rules
            for receiver in rules.receivers {
                for channel in receiver.channels { expected[Pair(receiver: receiver.name, channel: channel.name), default: []].append(channel) }
            }
        } catch let error as SpasmError where error.code == .notifyConfig {
            fileNote = "\(error.description) (spasmwatch-notify keeps its last good rules)"
        }

        let address = try BusAddress.resolve(home: home, configuration: configuration)
        let context = ZMQContext()
        let listener = try BusSubscriber(
            context: context, address: address,
            prefixes: [Topic.deliveryPrefix, Topic.heartbeat(ServiceName.notify)])
        let sender = try ReliableCLISender(home: home, configuration: configuration)
        try await sender.send(alert, topic: Topic.alert(alert.severity), id: alert.alertId, person: configuration.person)
        let heartbeatWait = max(3, 3 * configuration.bus.heartbeatSeconds)
        let wanted = expected.mapValues(\.count)
        let (alertId, wait) = (alert.alertId, self.wait)
        let heard: Heard = await onBlockingPool {
            Self.listen(listener, alertId: alertId, expected: wanted, wait: wait, heartbeatWait: heartbeatWait)
        }
        await listener.closeAsync()
        await onBlockingPool { context.terminate() }
        let short = NotificationText.shortId(alert.alertId)
        guard let notify = heard.notify else {
            try await sender.withdraw(alert.alertId)
            await sender.close()
            print(
                "Published test alert \(short) on \(Topic.alert(alert.severity)) (for custom consumers; not kept to re-send), but spasmwatch-notify is not running on home \(path) (no heartbeat within \(Int(heartbeatWait)) s): nobody was told."
            )
            let start = HomeCheck.startCommand(home)
            print(
                "Start it: \(start.contains("systemctl") ? "sudo systemctl start spasmwatch-notify" : start.replacingOccurrences(of: "deploy/stack up", with: "deploy/stack start spasmwatch-notify")) (or the whole stack: \(start))."
            )
            print("The rules file alone: spasmwatch notify test --dry-run")
            throw ExitCode(2)
        }
        let stored = try await sender.waitForReceipts(seconds: 2)
        await sender.close()
        print(
            "Test alert \(short) on \(Topic.alert(alert.severity))\(stored ? " (stored)" : ""); spasmwatch-notify\(notify.info["rules"].map { " (rules: \($0))" } ?? "") reports:"
        )
        if let fileNote { print("note: \(fileNote)") }
        let noCaregiver =
            notify.info["warning.caregiver"] != nil || notify.info["caregivers"] == "none"
            || (notify.info["caregivers"] == nil && fileRules.map { $0.caregivers(person: configuration.person).isEmpty } == true)
        if noCaregiver { print(NotifyRules.noCaregiverWarning) }

        var failures = 0
        var byPair: [Pair: [Delivery]] = [:]
        for delivery in heard.deliveries { byPair[Pair(receiver: delivery.receiver, channel: delivery.channel), default: []].append(delivery) }
        for pair in Set(expected.keys).union(byPair.keys).sorted() {
            let specs = expected[pair] ?? []
            let what =
                specs.count == 1
                ? NotifyTestCommand.describe(specs[0])
                : specs.count > 1 ? "\(pair.channel) ×\(specs.count)" : pair.channel
            let lines = Self.outcomes(byPair[pair] ?? [], expected: max(specs.count, 1), wait: wait)
            for (ok, text) in lines {
                if !ok { failures += 1 }
                print("  \(ok ? "sent   " : "FAILED ") \(pair.receiver) via \(what)\(text.isEmpty ? "" : ": \(text)")")
            }
            if specs.isEmpty {
                print("          (\(pair.receiver) is not in the rules file: the running service uses other rules)")
            } else if byPair[pair] == nil, let known = notify.info["receivers"],
                !known.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains(pair.receiver)
            {
                print(
                    "          (the running spasmwatch-notify does not know \(pair.receiver): its rules are older than the file; restart it: deploy/stack restart spasmwatch-notify)"
                )
            }
        }
        if expected.isEmpty && byPair.isEmpty {
            failures += 1
            print("  nothing heard within \(Int(wait)) s")
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Each channel's final word: sent, gave up, still failing, or nothing heard.
    static func outcomes(_ deliveries: [Delivery], expected: Int, wait: Double) -> [(Bool, String)] {
        let ordered = deliveries.sorted { ($0.at, $0.attempt) < ($1.at, $1.attempt) }
        var lines: [(Bool, String)] = []
        for delivery in ordered where delivery.outcome != .failed {
            lines.append(
                delivery.outcome == .sent
                    ? (true, delivery.attempt > 1 ? "on attempt \(delivery.attempt)" : "")
                    : (false, "gave up after \(delivery.attempt) attempts: \(delivery.error ?? "no error given")"))
        }
        let failed = ordered.filter { $0.outcome == .failed }
        while lines.count < expected {
            if let last = failed.last {
                lines.append((false, "attempt \(last.attempt) failed, still retrying after \(Int(wait)) s: \(last.error ?? "no error given")"))
            } else {
                lines.append((false, "nothing heard within \(Int(wait)) s"))
            }
        }
        return lines
    }

    /// Listens (on this thread) until every expected channel has a final outcome, `wait`
    /// seconds have passed, or notify has sent no heartbeat within `heartbeatWait`.
    static func listen(
        _ subscriber: BusSubscriber, alertId: UUID, expected: [Pair: Int], wait: Double,
        heartbeatWait: Double
    ) -> Heard {
        var heard = Heard()
        var seen = Set<UUID>()
        let start = Date()
        while Date().timeIntervalSince(start) < wait {
            if heard.notify == nil && Date().timeIntervalSince(start) > heartbeatWait { break }
            for message in subscriber.next(timeout: 0.1) ?? [] {
                if message.topic.hasPrefix(Topic.deliveryPrefix) {
                    guard let delivery = try? message.decode(Delivery.self).body, delivery.alertIds.contains(alertId),
                        seen.insert(delivery.deliveryId).inserted
                    else { continue }
                    heard.deliveries.append(delivery)
                    heard.lastDeliveryAt = Date()
                } else if let beat = try? message.decode(Heartbeat.self).body {
                    heard.notify = beat
                    heard.notifyAt = Date()
                }
            }
            var finals: [Pair: Int] = [:]
            for delivery in heard.deliveries where delivery.outcome != .failed {
                finals[Pair(receiver: delivery.receiver, channel: delivery.channel), default: 0] += 1
            }
            // Done when every channel has its outcome and a heartbeat came after the last of
            // them: one sent earlier may still show rules notify has since reloaded.
            if let notifyAt = heard.notifyAt, notifyAt > heard.lastDeliveryAt ?? .distantPast, !expected.isEmpty,
                expected.allSatisfy({ finals[$0.key, default: 0] >= $0.value })
            {
                break
            }
        }
        return heard
    }
}

extension NotifyTestCommand {
    /// "webhook (ntfy) https://…", "command /usr/local/bin/send-sms", "console".
    static func describe(_ spec: ChannelSpec) -> String {
        switch spec.type {
        case .console: "console"
        case .file: "file \(spec.path ?? "logs/notifications.jsonl")"
        case .webhook: "webhook (\((spec.format ?? .json).rawValue)) \(spec.url ?? "")"
        case .command: "command \((spec.command ?? []).joined(separator: " "))"
        }
    }
}
