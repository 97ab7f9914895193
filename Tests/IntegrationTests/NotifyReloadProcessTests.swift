import Foundation
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing

/// spasmwatch-notify as a real process while notify.json is edited: a new receiver gets
/// the next alert without a restart, SIGHUP re-reads the file, a bad file keeps the rules
/// in force and the heartbeat says so, and a start with a bad file still runs.
@Suite("Notify reload", .serialized)
struct NotifyReloadProcessTests {
    typealias P = NotifyProcessTests

    static let personOnly = """
        {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "console"}]}],
         "routes": [{"receivers": ["me"]}]}
        """

    static func withAnna(_ url: URL) -> String {
        """
        {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "console"}]},
                       {"name": "anna", "channels": [{"type": "webhook", "url": "\(url)"}]}],
         "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna"], "escalate": false},
                    {"receivers": ["me"]}]}
        """
    }

    /// The latest heartbeat info of notify.
    static func info(_ beats: P.TestBus) -> [String: String]? {
        beats.messages("heartbeat.").last.flatMap { try? $0.decode(Heartbeat.self).body.info }
    }

    static func reached(_ alert: Alert, _ server: TinyHTTPServer) -> Bool {
        P.notifications(server).contains { ($0["alertIds"] as? [String]) == [alert.alertId.uuidString] }
    }

    @Test func anAddedWebhookReceiverGetsTheNextAlertWithoutARestart() async throws {
        let home = try TestSupport.temporaryHome("notify-reload")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try P.write(Self.personOnly, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let client = try P.TestBus(home: home, prefixes: [Topic.heartbeat(ServiceName.notify)])
        defer { client.close() }
        #expect(await P.eventually { Self.info(client)?["caregivers"] == "none" })
        #expect(Self.info(client)?["warning.caregiver"] == "No caregiver is set up: a fall reaches only you.")
        #expect(Self.info(client)?["rules"]?.hasPrefix("notify.json, loaded ") == true)
        #expect(Self.info(client)?["warning.rules"] == nil)

        let before = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(before)
                return notify.stdout.contains("NOTIFY me: [critical] Possible fall")
            })
        #expect(notify.stdout.contains("Nobody else will be told: no caregiver is set up."), "the words match the rules")

        try P.write(Self.withAnna(server.url), to: home)
        #expect(await notify.waitForOutput("rules reloaded"))
        let after = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(after)
                return Self.reached(after, server)
            }, "anna gets the next fall")
        #expect(!Self.reached(before, server), "the earlier fall stays as it was")
        #expect(await notify.waitForOutput("Anna has been told too."))
        #expect(await P.eventually { Self.info(client)?["caregivers"] == "anna" })
        #expect(Self.info(client)?["warning.caregiver"] == nil)
        await notify.stop()
        await bus.stop()
    }

    @Test func sighupRereadsTheFileAndABadFileKeepsTheRulesInForce() async throws {
        let home = try TestSupport.temporaryHome("notify-hup")
        defer { try? FileManager.default.removeItem(at: home) }
        let first = try await TinyHTTPServer()
        let second = try await TinyHTTPServer()
        defer {
            first.stop()
            second.stop()
        }
        let file = home.appendingPathComponent("notify.json")
        // Both versions the same length, and the same modification time: only SIGHUP notices.
        var old = Self.withAnna(first.url)
        var new = Self.withAnna(second.url)
        old += String(repeating: " ", count: max(0, new.utf8.count - old.utf8.count))
        new += String(repeating: " ", count: max(0, old.utf8.count - new.utf8.count))
        let stamp = Date(timeIntervalSince1970: 1_790_000_000)
        try P.write(old, to: home)
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file.path)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let client = try P.TestBus(home: home, prefixes: [Topic.heartbeat(ServiceName.notify)])
        defer { client.close() }
        let one = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(one)
                return Self.reached(one, first)
            })

        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: Data(new.utf8))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file.path)
        notify.signal(SIGHUP)
        #expect(await notify.waitForOutput("reason=SIGHUP"), "reloaded because of SIGHUP: \(notify.stderr)")
        #expect(notify.isRunning, "SIGHUP does not end notify")
        let two = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(two)
                return Self.reached(two, second)
            }, "the re-read rules are in force")

        // A syntax error: the rules in force stay, the heartbeat and the log say why.
        try P.write("{\"receivers\": [\n  {\"name\": \"me\" \"channels\": []}]}", to: home)
        #expect(await P.eventually { Self.info(client)?["warning.rules"] != nil })
        let rules = try #require(Self.info(client)?["rules"])
        #expect(rules.hasPrefix("last good from "), "\(rules)")
        #expect(rules.hasSuffix("; notify.json: line 2, column 17: expected ',' or '}', found '\"'"), "\(rules)")
        #expect(Self.info(client)?["warning.rules"] == rules)
        #expect(await notify.waitForOutput("rules file not used"))
        let three = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(three)
                return Self.reached(three, second)
            }, "still the last good rules")

        // A validation error names the field.
        try P.write(Self.withAnna(second.url).replacingOccurrences(of: "http://", with: "htp://"), to: home)
        #expect(
            await P.eventually { Self.info(client)?["rules"]?.contains("receivers[1].channels[0].url") == true },
            "\(Self.info(client) ?? [:])")

        try P.write(new, to: home)
        #expect(await P.eventually { Self.info(client)?["warning.rules"] == nil }, "fixed: the warning goes")
        await notify.stop()
        await bus.stop()
    }

    /// A broken notify.json at start: notify runs anyway — with the last good copy when
    /// there is one, else the standard rules — and warns.
    @Test func aStartWithABadFileRunsWithTheLastGoodRules() async throws {
        let home = try TestSupport.temporaryHome("notify-badstart")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try P.write("{\"receivers\": [", to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        var notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"), "a bad file does not stop notify: \(notify.stderr)")
        let client = try P.TestBus(home: home, prefixes: [Topic.heartbeat(ServiceName.notify)])
        defer { client.close() }
        #expect(
            await P.eventually { Self.info(client)?["warning.rules"]?.hasPrefix("standard rules") == true },
            "\(Self.info(client) ?? [:])")
        #expect(Self.info(client)?["warning.caregiver"] == "No caregiver is set up: a fall reaches only you.")
        let fall = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(fall)
                return notify.stdout.contains("NOTIFY me: [critical] Possible fall")
            },
            "the person is told all the same")

        try P.write(Self.withAnna(server.url), to: home)
        #expect(await P.eventually { Self.info(client)?["caregivers"] == "anna" })
        await notify.stop()
        try P.write("{\"receivers\": [", to: home)
        notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        #expect(
            await P.eventually { Self.info(client)?["rules"]?.hasPrefix("last good from ") == true && Self.info(client)?["caregivers"] == "anna" },
            "\(Self.info(client) ?? [:])")
        let next = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(next)
                return Self.reached(next, server)
            }, "anna is still told")
        await notify.stop()
        await bus.stop()
    }
}
