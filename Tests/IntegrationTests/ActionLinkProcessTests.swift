import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing

/// The "I'm OK" link in a caregiver's ntfy notification, followed from another phone: a
/// second host (network namespace) reaches spasmwatch-manual on a veth address, as a
/// caregiver's phone on the home network would. Seen on main: the link pointed at
/// 127.0.0.1 (or 0.0.0.0), carried no token, and acted on the first request of any kind.
@Suite("Action links from another host", .serialized)
struct ActionLinkProcessTests {
    /// The link in an ntfy request's `Actions` header for `label`.
    static func link(_ request: TinyHTTPServer.Request, _ label: String) -> String? {
        guard let header = request.headers["actions"] else { return nil }
        for action in header.components(separatedBy: "; ") {
            let parts = action.components(separatedBy: ", ")
            if parts.count >= 3, parts[1] == label { return parts[2] }
        }
        return nil
    }

    static func bodies(_ server: TinyHTTPServer) -> [String] { server.received.map { String(decoding: $0.body, as: UTF8.self) } }

    @Test(.enabled(if: SecondHost.unavailableReason == nil, "\(SecondHost.unavailableReason ?? "")"))
    func aCaregiversLinkFromAnotherHostStopsTheEscalation() async throws {
        let host = try SecondHost()
        defer { host.remove() }
        let home = try TestSupport.temporaryHome("act-netns")
        defer { try? FileManager.default.removeItem(at: home) }
        let me = try await TinyHTTPServer()
        let anna = try await TinyHTTPServer()
        let ben = try await TinyHTTPServer()
        let carl = try await TinyHTTPServer()
        defer {
            me.stop()
            anna.stop()
            ben.stop()
            carl.stop()
        }
        let port = SecondHost.freePort(on: host.hostAddress)
        let publicURL = "https://\(host.hostAddress):\(port)"
        // Beyond loopback the diary serves HTTPS; the second host trusts the home's CA.
        let ca = try await HTTPSTest.initialize(home: home)
        func curl(_ arguments: [String]) throws -> String { try host.curl(["--cacert", ca.path] + arguments) }
        // manual listens on the veth address only (with a page token, since it is not
        // loopback); notify makes the links from publicURL.
        try """
        {"manual": {"httpHost": "\(host.hostAddress)", "httpPort": \(port), "httpToken": "page-secret",
                    "publicURL": "\(publicURL)"}}
        """.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        func ntfy(_ name: String, _ server: TinyHTTPServer, person: Bool = false) -> String {
            #"{"name": "\#(name)", "isPerson": \#(person), "channels": [{"type": "webhook", "url": "\#(server.url)", "format": "ntfy"}]}"#
        }
        try NotifyProcessTests.write(
            """
            {"receivers": [\(ntfy("me", me, person: true)), \(ntfy("anna", anna)), \(ntfy("ben", ben)), \(ntfy("carl", carl))],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna", "ben", "carl"], "escalateAfterSeconds": 5},
                        {"receivers": ["me"]}]}
            """, to: home)

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        // Trace logging: if anything logged the token, it would be here.
        let manual = try ChildProcess("spasmwatch-manual", ["--log-level", "trace"], home: home)
        #expect(await manual.waitForOutput("diary page at \(publicURL)/"), "manual: \(manual.stderr)")
        let client = try NotifyProcessTests.TestBus(home: home, prefixes: [Topic.acknowledgement, Topic.heartbeat(ServiceName.manual)])
        defer { client.close() }

        let fall = NotifyProcessTests.fall()
        #expect(
            await NotifyProcessTests.eventually {
                try? client.publish(fall)
                return !me.received.isEmpty
            })
        // The person's copy has both buttons, each a link on the public address.
        let toMe = try #require(me.received.first)
        #expect(Self.link(toMe, "I'm OK")?.hasPrefix("\(publicURL)/act/") == true, "\(toMe.headers)")
        #expect(Self.link(toMe, "I need help")?.hasPrefix("\(publicURL)/act/") == true)

        // Nobody answers: anna is told, with her own link.
        #expect(await NotifyProcessTests.eventually(30) { !anna.received.isEmpty })
        let toCaregiver = try #require(anna.received.first)
        let annasLink = try #require(Self.link(toCaregiver, "I'm OK"))
        #expect(anna.received.first?.headers["actions"]?.contains("method=POST") == true)
        let annasToken = String(annasLink.dropFirst("\(publicURL)/act/".count))

        // A link previewer on the second host GETs and HEADs it: a confirm page, no action.
        let page = try curl(["--dump-header", "-", annasLink])
        #expect(page.contains("HTTP/1.1 200"), "\(page)")
        #expect(page.lowercased().contains("referrer-policy: no-referrer"))
        #expect(page.contains("Is everything OK?"))
        #expect(page.contains("<form method=\"post\">"))
        #expect(page.contains("link sent to anna"))
        let head = try curl(["--head", annasLink])
        #expect(head.contains("HTTP/1.1 200"), "\(head)")
        // ...so the escalation goes on: ben is told.
        #expect(await NotifyProcessTests.eventually(30) { !ben.received.isEmpty }, "a GET or HEAD must never stop an escalation")
        #expect(client.messages(Topic.acknowledgement).isEmpty, "nothing was acknowledged by looking")

        // Refused links: altered, made up, cut short. Each a clear page, 403, counted.
        var forged = Array(annasToken)
        forged[10] = forged[10] == "A" ? "B" : "A"
        let refused = try curl(["--request", "POST", "--write-out", "\n%{http_code}", "\(publicURL)/act/\(String(forged))"])
        #expect(refused.hasSuffix("\n403"), "\(refused)")
        #expect(refused.contains("was not made by this SpasmWatch hub"))
        let short = try curl(["--request", "POST", "--write-out", "\n%{http_code}", "\(publicURL)/act/\(annasToken.prefix(12))"])
        #expect(short.hasSuffix("\n403"), "\(short)")
        // The capability route needs no page token; nothing else is open.
        let api = try curl(["--write-out", "\n%{http_code}", "\(publicURL)/api/alerts"])
        #expect(api.hasSuffix("\n401"), "the diary itself still needs its token: \(api)")

        // Anna taps "I'm OK" in ntfy (ntfy POSTs the link) on the second host.
        let tapped = Date()
        let answer = try curl(["--request", "POST", "--write-out", "\n%{http_code}", annasLink])
        #expect(answer.hasSuffix("\n200"), "\(answer)")
        #expect(answer.contains("Everyone else is told that Anna answered"))
        // The others hear "Anna answered"; carl, next in line, is never told.
        for (name, server) in [("me", me), ("ben", ben)] {
            #expect(
                await NotifyProcessTests.eventually { Self.bodies(server).contains { $0.contains("Anna answered") } },
                "\(name) hears that anna answered: \(Self.bodies(server))")
        }
        print("measured: link POST from the second host to \"Anna answered\" at both webhooks: \(Int(Date().timeIntervalSince(tapped) * 1000)) ms")
        let ack = try #require(client.messages(Topic.acknowledgement).compactMap { try? $0.decode(Acknowledgement.self).body }.first)
        #expect(ack.alertId == fall.alertId)
        #expect(ack.by == "anna", "the acknowledgement records who answered")
        #expect(ack.via == "link")
        try await Task.sleep(for: .seconds(7))  // past carl's turn, had the escalation gone on
        #expect(carl.received.isEmpty, "escalation stopped")
        #expect(!Self.bodies(anna).contains { $0.contains("Anna answered") }, "the one who answered is not told")
        // Her link again (a double tap): the page says it is answered; nobody is told twice.
        let again = try curl([annasLink])
        #expect(again.contains("Already answered by anna"), "\(again)")

        // The refusals were counted; the token was never logged.
        #expect(
            await NotifyProcessTests.eventually {
                let beat = client.messages("heartbeat.").last.flatMap { try? $0.decode(Heartbeat.self).body }
                return (beat?.counters["actions.refused.forged"] ?? 0) >= 1 && (beat?.counters["actions.refused.malformed"] ?? 0) >= 1
            })
        let beat = try #require(client.messages("heartbeat.").last.flatMap { try? $0.decode(Heartbeat.self).body })
        #expect(beat.info["warning.publicURL"] == nil, "an https:// publicURL served over HTTPS raises no warning: \(beat.info)")
        #expect(!manual.stderr.contains(annasToken) && !manual.stdout.contains(annasToken), "the token is never logged")
        #expect(!notify.stderr.contains(annasToken), "nor by notify")

        await manual.stop()
        await notify.stop()
        await bus.stop()
    }

    /// The person's "I need help" link (here on loopback): a GET asks, the POST tells the
    /// caregiver at once instead of in ten minutes.
    @Test func thePersonsHelpLinkTellsTheCaregiverAtOnce() async throws {
        let home = try TestSupport.temporaryHome("act-help")
        defer { try? FileManager.default.removeItem(at: home) }
        let me = try await TinyHTTPServer()
        let anna = try await TinyHTTPServer()
        defer {
            me.stop()
            anna.stop()
        }
        let port = SecondHost.freePort(on: "127.0.0.1")
        try #"{"manual": {"httpPort": \#(port), "publicURL": "http://127.0.0.1:\#(port)"}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try NotifyProcessTests.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(me.url)", "format": "ntfy"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(anna.url)", "format": "ntfy"}]}],
             "routes": [{"match": {"severities": ["critical"]}, "receivers": ["me", "anna"], "escalateAfterSeconds": 600}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let manual = try ChildProcess("spasmwatch-manual", home: home)
        #expect(await manual.waitForOutput("diary page at http://127.0.0.1:\(port)/"))
        let client = try NotifyProcessTests.TestBus(home: home, prefixes: [Topic.acknowledgement])
        defer { client.close() }
        let fall = NotifyProcessTests.fall()
        #expect(
            await NotifyProcessTests.eventually {
                try? client.publish(fall)
                return !me.received.isEmpty
            })
        let toPerson = try #require(me.received.first)
        let help = try #require(Self.link(toPerson, "I need help"))
        let asked = try await http("GET", help)
        #expect(asked.status == 200)
        #expect(asked.text.contains("Ask for help now?"))
        #expect(anna.received.isEmpty, "looking asks nobody")
        let pressed = Date()
        let done = try await http("POST", help)
        #expect(done.status == 200, "\(done.text)")
        #expect(await NotifyProcessTests.eventually { !anna.received.isEmpty }, "anna is told now, not in 10 minutes")
        print("measured: \"I need help\" link POST to the caregiver's webhook: \(Int(Date().timeIntervalSince(pressed) * 1000)) ms (50 ms polling)")
        #expect(anna.received.first?.headers["title"]?.hasSuffix("asked for help") == true, "\(anna.received.first?.headers ?? [:])")
        let toCaregiver = try #require(anna.received.first)
        #expect(Self.link(toCaregiver, "I'm OK") != nil, "anna can answer from her phone")
        let request = try #require(client.messages(Topic.helpRequest).compactMap { try? $0.decode(HelpRequest.self).body }.first)
        #expect(request.by == "me" && request.via == "link" && request.alertId == fall.alertId)
        await manual.stop()
        await notify.stop()
        await bus.stop()
    }

    /// Without manual.publicURL the notifications carry no link (ntfy: no Actions header),
    /// and both heartbeats say why.
    @Test func withoutAPublicURLTheHeartbeatsSayWhyThereIsNoLink() async throws {
        let home = try TestSupport.temporaryHome("act-nourl")
        defer { try? FileManager.default.removeItem(at: home) }
        let me = try await TinyHTTPServer()
        defer { me.stop() }
        try NotifyProcessTests.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(me.url)", "format": "ntfy"}]}],
             "routes": [{"receivers": ["me"]}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let manual = try await ManualProcess.start(home: home)
        let client = try NotifyProcessTests.TestBus(home: home, prefixes: [Topic.heartbeatPrefix])
        defer { client.close() }
        let fall = NotifyProcessTests.fall()
        #expect(
            await NotifyProcessTests.eventually {
                try? client.publish(fall)
                return !me.received.isEmpty
            })
        #expect(me.received.first?.headers["actions"] == nil, "no dead link")
        let expected =
            "manual.publicURL is not set: alerts carry no \"I'm OK\" link for other phones; set it to the address phones use to reach this hub"
        for service in [ServiceName.notify, ServiceName.manual] {
            #expect(
                await NotifyProcessTests.eventually {
                    client.messages(Topic.heartbeat(service)).last.flatMap { try? $0.decode(Heartbeat.self).body.info["warning.publicURL"] }
                        == expected
                }, "\(service) says why")
        }
        // A made-up link on the loopback page: 403, a page that says so.
        let made = try await http("POST", "\(manual.base)/act/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        #expect(made.status == 403)
        #expect(made.headers["referrer-policy"] == "no-referrer")
        await manual.process.stop()
        await notify.stop()
        await bus.stop()
    }
}
