import Foundation
import GRDB
import SpasmSchema
import SpasmTestSupport
import Testing

/// spasmwatch-notify killed with SIGKILL and started again: nothing delivered goes out a
/// second time, and an escalation carries on at the step it had reached. Deliveries are
/// counted at a real local webhook receiver.
@Suite("Notify restarts", .serialized)
struct NotifyRestartProcessTests {
    typealias P = NotifyProcessTests

    /// The notifications the webhook received about one alert.
    static func about(_ alert: Alert, _ server: TinyHTTPServer) -> [[String: Any]] {
        P.notifications(server).filter { ($0["alertIds"] as? [String]) == [alert.alertId.uuidString] }
    }

    static func count(_ alert: Alert, to receiver: String, _ server: TinyHTTPServer) -> Int {
        about(alert, server).filter { $0["receiver"] as? String == receiver }.count
    }

    /// Sends notify's journal still has under way (a send killed before it finished is
    /// rightly sent again, marked as resent: the tests kill notify between sends).
    static func sendsUnderWay(_ home: URL) -> Int {
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        guard let db = try? DatabaseQueue(path: home.appendingPathComponent("data/notify.sqlite").path, configuration: configuration)
        else { return -1 }
        return (try? db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM job") ?? 0 }) ?? -1
    }

    @Test func deliveredFallsAreNotSentAgainAfterKill9() async throws {
        let home = try TestSupport.temporaryHome("notify-restart")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try P.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(server.url)"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna"], "escalateAfterSeconds": 2},
                        {"receivers": ["me"]}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let client = try P.TestBus(home: home, prefixes: [Topic.deliveryPrefix])
        defer { client.close() }
        var notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))

        // Three falls, delivered to the person and (nobody answering) to anna: each
        // escalation has finished, none is acknowledged.
        let falls = (0..<3).map { _ in P.fall() }
        #expect(
            await P.eventually(40) {
                for fall in falls { try? client.publish(fall) }
                return falls.allSatisfy { Self.count($0, to: "me", server) == 1 && Self.count($0, to: "anna", server) == 1 }
            }, "every fall reached me and then anna")
        #expect(await P.eventually { Self.sendsUnderWay(home) == 0 })
        notify.signal(SIGKILL)
        _ = await notify.wait(timeout: 10)

        notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        // A fresh fall after the restart gets through: by then the resume is done.
        let fresh = P.fall()
        #expect(
            await P.eventually(40) {
                try? client.publish(fresh)
                return Self.count(fresh, to: "me", server) == 1
            }, "notify runs again")
        #expect(await notify.waitForOutput("resume finished"))
        for fall in falls {
            #expect(Self.count(fall, to: "me", server) == 1, "a delivered fall is not sent to the person again")
            #expect(Self.count(fall, to: "anna", server) == 1, "nor to the caregiver")
        }
        await notify.stop()
        await bus.stop()
    }

    @Test func anInterruptedEscalationContinuesWithTheNextStep() async throws {
        let home = try TestSupport.temporaryHome("notify-restart-step")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try P.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(server.url)"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(server.url)"}]},
                           {"name": "ben", "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna", "ben"], "escalateAfterSeconds": 4},
                        {"receivers": ["me"]}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let client = try P.TestBus(home: home, prefixes: [Topic.deliveryPrefix])
        defer { client.close() }
        var notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))

        let fall = P.fall()
        #expect(
            await P.eventually(40) {
                try? client.publish(fall)
                return Self.count(fall, to: "anna", server) == 1
            }, "step 1 (anna) was reached")
        #expect(await P.eventually { Self.sendsUnderWay(home) == 0 })
        notify.signal(SIGKILL)
        _ = await notify.wait(timeout: 10)
        #expect(Self.count(fall, to: "ben", server) == 0, "killed before ben's turn")

        notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        #expect(await P.eventually(60) { Self.count(fall, to: "ben", server) == 1 }, "the escalation went on to ben")
        let toBen = try #require(Self.about(fall, server).first { $0["receiver"] as? String == "ben" })
        #expect(toBen["escalationStep"] as? Int == 2)
        #expect(toBen["purpose"] as? String == "escalation")
        #expect(Self.count(fall, to: "me", server) == 1, "the escalation did not start over at the person")
        #expect(Self.count(fall, to: "anna", server) == 1, "anna was not told twice")
        await notify.stop()
        await bus.stop()
    }

    /// "I'm OK" given while notify was down reaches storage, not notify: the escalation
    /// carried on after the restart asks storage and stops.
    @Test func anAnswerGivenWhileNotifyWasDownStopsTheEscalation() async throws {
        let home = try TestSupport.temporaryHome("notify-restart-ack")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try P.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(server.url)"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna"], "escalateAfterSeconds": 8}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let client = try P.TestBus(home: home, prefixes: [Topic.heartbeat("spasmwatch-notify")])
        defer { client.close() }
        var notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let fall = P.fall()
        #expect(
            await P.eventually(40) {
                try? client.publish(fall)
                return Self.count(fall, to: "me", server) == 1
            })
        #expect(await P.eventually { Self.sendsUnderWay(home) == 0 })
        notify.signal(SIGKILL)
        _ = await notify.wait(timeout: 10)

        let ack = Acknowledgement(alertId: fall.alertId, by: "me", at: Date().timeIntervalSince1970, via: "web")
        let storage = try StandInStoreQueries(endpoint: client.endpoints.storeQuery, alerts: [], answered: [(fall, ack)])
        defer { storage.stop() }
        notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("acknowledgements given while notify was down", timeout: 40), "\(notify.stderr)")
        #expect(
            await P.eventually {
                client.messages("heartbeat.").last.flatMap { try? $0.decode(Heartbeat.self).body.counters["resumed.acknowledgements"] } == 1
            })
        #expect(Self.count(fall, to: "anna", server) == 0, "anna is not asked: the person answered")
        await notify.stop()
        await bus.stop()
    }

    /// "I need help" pressed while notify was down reaches storage, not notify: the
    /// escalation carried on after the restart asks storage and tells everyone left at once,
    /// instead of waiting for its next step.
    @Test func helpAskedForWhileNotifyWasDownIsTakenUpAtTheRestart() async throws {
        let home = try TestSupport.temporaryHome("notify-restart-help")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try P.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(server.url)"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna"], "escalateAfterSeconds": 600}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let client = try P.TestBus(home: home, prefixes: [Topic.heartbeat("spasmwatch-notify")])
        defer { client.close() }
        var notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let fall = P.fall()
        #expect(
            await P.eventually(40) {
                try? client.publish(fall)
                return Self.count(fall, to: "me", server) == 1
            })
        #expect(await P.eventually { Self.sendsUnderWay(home) == 0 })
        notify.signal(SIGKILL)
        _ = await notify.wait(timeout: 10)

        let help = HelpRequest(alertId: fall.alertId, by: "me", at: Date().timeIntervalSince1970, via: "web")
        let storage = try StandInStoreQueries(endpoint: client.endpoints.storeQuery, alerts: [], helped: [(fall, help)])
        defer { storage.stop() }
        notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(
            await P.eventually(40) { Self.count(fall, to: "anna", server) == 1 },
            "anna is told now, not in 10 minutes: \(notify.stderr.suffix(2000))")
        let toAnna = Self.about(fall, server).filter { $0["receiver"] as? String == "anna" }
        #expect(toAnna.first?["purpose"] as? String == "help-requested", "\(toAnna)")
        #expect(Self.count(fall, to: "me", server) == 1, "the person, who asked, is not told again")
        await notify.stop()
        await bus.stop()
    }
}
