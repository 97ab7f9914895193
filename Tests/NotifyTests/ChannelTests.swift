import Foundation
import Logging
import SpasmConfig
import SpasmErrors
import SpasmNotify
import SpasmSchema
import SpasmSecurity
import SpasmSync
import SpasmTestSupport
import Testing

/// Channels against real endpoints: a local HTTP server, a real program, a real file.
@Suite("Notification channels")
struct ChannelTests {
    static func note(_ kind: String = "fall", severity: AlertSeverity = .critical, purpose: AlertNotification.Purpose = .alert) -> AlertNotification {
        let alert = Alert(
            kind: kind, severity: severity, groupKey: "\(kind):right-leg", title: "Fall",
            message: "A fall was detected", at: 1_795_597_200, site: .rightAnkle)
        return note(alert, purpose: purpose, links: links)
    }

    static let links = ActionLinks(baseURL: "https://hub.local:8471", key: .random())

    static func note(_ alert: Alert, purpose: AlertNotification.Purpose = .alert, links: ActionLinks?, toPerson: Bool = false) -> AlertNotification {
        let text = NotificationText(home: HomeClock(timeZone: TimeZone(identifier: "Europe/Berlin")!), links: links)
        return AlertNotification(
            receiver: "anna", purpose: purpose, person: "me", alerts: [alert], title: "Possible fall — right ankle",
            text: "A fall was detected at 10:00.",
            actions: text.actions(alert, receiver: "anna", toPerson: toPerson, now: 1_795_597_201), createdAt: 1_795_597_201)
    }

    /// Collects delivery reports.
    final class Recorder: DeliveryRecorder {
        let deliveries = Locked<[Delivery]>([])
        func record(_ delivery: Delivery, person: String) async { deliveries.withLock { $0.append(delivery) } }
        var all: [Delivery] { deliveries.withLock { $0 } }
    }

    @Test func webhookSendsGenericJSON() async throws {
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        let channel = WebhookChannel(
            url: server.url, format: .json, headers: ["Authorization": "Bearer x"], timeoutSeconds: 5,
            retry: .once)
        try await channel.send(Self.note())
        let request = try #require(server.received.first)
        #expect(request.method == "POST")
        #expect(request.path == "/hook")
        #expect(request.headers["authorization"] == "Bearer x")
        let decoded = try JSONDecoder().decode(AlertNotification.self, from: request.body)
        #expect(decoded.kind == "fall")
        #expect(decoded.actions.first?.url?.hasPrefix("https://hub.local:8471/act/") == true)
    }

    @Test func webhookSpeaksNtfyAndHomeAssistant() async throws {
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try await WebhookChannel(url: server.url, format: .ntfy, timeoutSeconds: 5, retry: .once).send(Self.note())
        try await WebhookChannel(url: server.url, format: .homeassistant, timeoutSeconds: 5, retry: .once).send(Self.note())
        try #require(server.received.count == 2)
        let ntfy = server.received[0]
        #expect(ntfy.headers["title"] == "Possible fall - right ankle", "header made ASCII")
        #expect(ntfy.headers["priority"] == "5")
        #expect(ntfy.headers["tags"] == "rotating_light,fall,alert")
        #expect(ntfy.headers["actions"]?.hasPrefix("http, I'm OK, https://hub.local:8471/act/") == true)
        #expect(ntfy.headers["actions"]?.hasSuffix(", method=POST, clear=true") == true, "ntfy posts: only a POST acts")
        #expect(String(decoding: ntfy.body, as: UTF8.self) == "A fall was detected at 10:00.")
        let ha = try JSONDecoder().decode(HomeAssistantPayload.self, from: server.received[1].body)
        #expect(ha.title == "Possible fall — right ankle")
        #expect(ha.severity == "critical")
        #expect(ha.actions.first?.title == "I'm OK")
        #expect(ha.actions.first?.uri?.hasPrefix("https://hub.local:8471/act/") == true)
    }

    /// Seen on main: the link was built from manual.httpHost (127.0.0.1), dead on any other
    /// phone. Without manual.publicURL a notification carries no link at all.
    @Test func withoutAPublicAddressNotificationsCarryNoDeadLink() async throws {
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        let alert = Self.note().alerts[0]
        let bare = Self.note(alert, links: nil, toPerson: true)
        #expect(bare.actions.count == 1, "no \"I need help\" without a link")
        #expect(bare.actions.first?.url == nil)
        #expect(bare.actions.first?.command.hasPrefix("spasmwatch ack ") == true, "the shell command stays")
        try await WebhookChannel(url: server.url, format: .ntfy, timeoutSeconds: 5, retry: .once).send(bare)
        try await WebhookChannel(url: server.url, format: .homeassistant, timeoutSeconds: 5, retry: .once).send(bare)
        try #require(server.received.count == 2)
        #expect(server.received[0].headers["actions"] == nil, "ntfy gets no Actions header")
        let ha = try JSONDecoder().decode(HomeAssistantPayload.self, from: server.received[1].body)
        #expect(ha.actions.first?.uri == nil, "Home Assistant gets no uri")

        // The person's copy with a public address: both buttons, each its own link.
        let linked = Self.note(alert, links: Self.links, toPerson: true)
        #expect(linked.actions.map(\.label) == ["I'm OK", "I need help"])
        try await WebhookChannel(url: server.url, format: .ntfy, timeoutSeconds: 5, retry: .once).send(linked)
        let header = try #require(server.received[2].headers["actions"])
        #expect(header.components(separatedBy: "; ").count == 2)
        #expect(header.contains("http, I need help, https://hub.local:8471/act/"))
        let tokens = linked.actions.compactMap { $0.url?.components(separatedBy: "/act/").last }
        #expect(try tokens.map { try Self.links.key.verify($0, now: 1_795_597_300).action } == [.ok, .help])
        #expect(try tokens.allSatisfy { try Self.links.key.verify($0, now: 1_795_597_300).receiver == "anna" })
    }

    @Test func aFailingWebhookIsRetriedWithBackoffUntilItRecovers() async throws {
        // The first two requests fail (HTTP 503), the third gets through.
        let server = try await TinyHTTPServer { $0 < 2 ? 503 : 200 }
        defer { server.stop() }
        let recorder = Recorder()
        let channel = WebhookChannel(
            url: server.url, format: .json, timeoutSeconds: 5,
            retry: RetryPolicy(maxAttempts: 5, backoffSeconds: 0.05))
        let engine = Self.engine(channels: ["anna": [channel]], recorder: recorder)
        await engine.take(Self.note().alerts[0], person: "me")
        await engine.idle()
        #expect(server.received.count == 3)
        #expect(recorder.all.map(\.outcome) == [.failed, .failed, .sent])
        #expect(recorder.all.map(\.attempt) == [1, 2, 3])
        #expect(recorder.all.first?.error?.contains("HTTP 503") == true)
        #expect(recorder.all.allSatisfy { $0.channel == "webhook" && $0.receiver == "anna" })
    }

    @Test func aWebhookThatNeverRecoversIsGivenUp() async throws {
        let server = try await TinyHTTPServer { _ in 500 }
        defer { server.stop() }
        let recorder = Recorder()
        let channel = WebhookChannel(
            url: server.url, format: .ntfy, timeoutSeconds: 5,
            retry: RetryPolicy(maxAttempts: 3, backoffSeconds: 0.01))
        let engine = Self.engine(channels: ["anna": [channel]], recorder: recorder)
        await engine.take(Self.note().alerts[0], person: "me")
        await engine.idle()
        #expect(recorder.all.map(\.outcome) == [.failed, .failed, .gaveUp])
    }

    @Test func aWebhookWithNobodyListeningFails() async throws {
        let refused = TinyHTTPServer.RefusedPort()
        defer { refused.close() }
        await #expect(throws: (any Error).self) {
            try await WebhookChannel(url: refused.url, format: .json, timeoutSeconds: 2, retry: .once).send(Self.note())
        }
    }

    @Test func backoffDoubles() {
        let policy = RetryPolicy(maxAttempts: 5, backoffSeconds: 1)
        #expect((1...4).map(policy.delay(after:)) == [1, 2, 4, 8])
    }

    @Test func commandGetsTheNotificationOnStdin() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-cmd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("got.json")
        let channel = CommandChannel(
            command: ["/bin/sh", "-c", "cat > '\(out.path)'; echo \"$SPASMWATCH_SEVERITY\" >> '\(out.path).sev'"],
            workingDirectory: dir, timeoutSeconds: 10, retry: .once)
        try await channel.send(Self.note())
        let got = try JSONDecoder().decode(AlertNotification.self, from: Data(contentsOf: out))
        #expect(got.receiver == "anna")
        #expect(try String(contentsOf: URL(fileURLWithPath: out.path + ".sev"), encoding: .utf8) == "critical\n")
    }

    @Test func aCommandThatFailsOrHangsIsAFailedAttempt() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory())
        let failing = CommandChannel(command: ["/bin/sh", "-c", "exit 3"], workingDirectory: dir, timeoutSeconds: 10, retry: .once)
        await #expect(throws: SpasmError.self) { try await failing.send(Self.note()) }
        let hanging = CommandChannel(command: ["/bin/sleep", "30"], workingDirectory: dir, timeoutSeconds: 0.3, retry: .once)
        let error = await #expect(throws: SpasmError.self) { try await hanging.send(Self.note()) }
        #expect(error?.description.contains("did not finish") == true)
    }

    @Test func fileChannelAppendsJSONLines() async throws {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-file-\(UUID().uuidString.prefix(8))/n.jsonl")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let channel = FileChannel(url: url)
        try await channel.send(Self.note())
        try await channel.send(Self.note("tonic", severity: .info))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try JSONDecoder().decode(AlertNotification.self, from: Data(lines[1].utf8)).kind == "tonic")
    }

    static func engine(channels: [String: [any NotificationChannel]], recorder: Recorder) -> NotifyEngine {
        let rules = NotifyRules(
            receivers: [.init(name: "anna", channels: [.init(type: .console)])],
            routes: [.init(receivers: ["anna"])])
        let clock = SystemClock()
        let planner = NotificationPlanner(
            rules: rules, settings: PlannerSettings(),
            text: NotificationText(home: HomeClock(timeZone: .gmt)), clock: clock)
        return NotifyEngine(
            planner: planner, channels: channels, journal: nil, recorder: recorder, clock: clock,
            logger: Logger(label: "test"))
    }
}
