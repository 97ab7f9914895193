import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmSync
import SpasmTestSupport
import Synchronization
import Testing
import ZeroMQ

/// spasmwatch-notify as a real process: alerts in from the bus, out to a real local HTTP
/// server and the console; escalation and `spasmwatch ack`; the delivery outbox and the
/// resume after a restart; the example alert consumers. Each test has its own data home.
@Suite("Notify processes", .serialized)
struct NotifyProcessTests {
    /// A bus client inside the test: publishes alerts and (optionally) stands in for storage.
    final class TestBus: Sendable {
        let context = ZMQContext()
        let publisher: BusPublisher
        let subscriber: BusSubscriber
        let endpoints: Endpoints
        let state = State()
        let reader: SocketThread

        /// What the reader thread and the test share.
        final class State: Sendable {
            /// Every message seen on the subscribed prefixes.
            let seen = Locked<[BusMessage]>([])
            let stop = Atomic<Bool>(false)
        }

        init(home: URL, prefixes: [String], storeReceipts: Bool = false) throws {
            let dataHome = DataHome(root: home)
            endpoints = Endpoints(home: dataHome, configuration: Configuration())
            let address = BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe)
            publisher = try BusPublisher(context: context, address: address, source: "test")
            let subscriber = try BusSubscriber(context: context, address: address, prefixes: prefixes)
            self.subscriber = subscriber
            let (state, publisher) = (self.state, self.publisher)
            reader = SocketThread(name: "test-reader") {
                while !state.stop.load(ordering: .relaxed) {
                    for message in subscriber.next(timeout: 0.1) ?? [] {
                        state.seen.withLock { $0.append(message) }
                        // Stand-in storage: "stored" receipts for whatever notify sends reliably.
                        if storeReceipts && message.header.source == "notify" && message.topic.hasPrefix("delivery.") {
                            _ = try? publisher.publish(
                                StoredReceipt(forSource: "notify", ids: [message.header.id]),
                                topic: Topic.stored("notify"))
                        }
                    }
                }
            }
        }

        func messages(_ prefix: String) -> [BusMessage] { state.seen.withLock { $0.filter { $0.topic.hasPrefix(prefix) } } }

        func publish(_ alert: Alert) throws {
            try publisher.publish(alert, topic: Topic.alert(alert.severity), id: alert.alertId)
        }

        func close() {
            state.stop.store(true, ordering: .relaxed)
            reader.join()
            subscriber.close()
            publisher.close()
            context.terminate()
        }
    }

    static func write(_ rules: String, to home: URL) throws {
        try rules.write(to: home.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
    }

    /// Polls until `condition` holds (up to `timeout` seconds); returns whether it did.
    static func eventually(_ timeout: Double = 20, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    static func notifications(_ server: TinyHTTPServer) -> [[String: Any]] {
        server.received.compactMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] }
    }

    static func fall(at time: Double = Date().timeIntervalSince1970) -> Alert {
        Alert(
            kind: "fall", severity: .critical, groupKey: "fall:right-leg", title: "Possible fall",
            message: "A fall was detected at the right ankle.", at: time, episodeId: UUID(), sensorId: "ankle-r",
            site: .rightAnkle)
    }

    @Test func aFallReachesWebhookAndConsoleEscalatesAndStopsWhenAcknowledged() async throws {
        let home = try TestSupport.temporaryHome("notify-fall")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try Self.write(
            """
            {"receivers": [
               {"name": "me", "isPerson": true, "channels": [{"type": "console"}, {"type": "webhook", "url": "\(server.url)"}]},
               {"name": "anna", "channels": [{"type": "webhook", "url": "\(server.url)"}]},
               {"name": "ben", "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna", "ben"], "escalateAfterSeconds": 6},
                        {"receivers": ["me"]}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let client = try TestBus(home: home, prefixes: [Topic.deliveryPrefix])
        defer { client.close() }

        // Detection's outbox re-sends an alert until it is stored: notify must tell once.
        let fall = Self.fall()
        let reached = await Self.eventually {
            try? client.publish(fall)
            return Self.notifications(server).contains { $0["receiver"] as? String == "me" }
        }
        #expect(reached, "the fall reached the person's webhook")
        #expect(await notify.waitForOutput("NOTIFY me: [critical] Possible fall"))
        let first = try #require(Self.notifications(server).first)
        #expect(first["purpose"] as? String == "alert")
        #expect((first["actions"] as? [[String: Any]])?.first?["label"] as? String == "I'm OK")
        #expect(Self.notifications(server).filter { $0["receiver"] as? String == "me" }.count == 1, "re-sent copies are one alert")

        // Nobody answers: the caregiver is told.
        #expect(await Self.eventually { Self.notifications(server).contains { $0["receiver"] as? String == "anna" } })
        let toAnna = try #require(Self.notifications(server).first { $0["receiver"] as? String == "anna" })
        #expect(toAnna["purpose"] as? String == "escalation")
        #expect((toAnna["text"] as? String)?.contains("Please check on") == true)

        // Anna acknowledges at once (well inside the 6 s before ben's turn); ben is never called.
        // (`spasmwatch ack` itself is exercised in the false-alarm test.)
        let ack = Acknowledgement(alertId: fall.alertId, by: "anna", at: Date().timeIntervalSince1970, via: "test")
        let ackId = UUID()
        #expect(
            await Self.eventually {
                _ = try? client.publisher.publish(ack, topic: Topic.acknowledgement, id: ackId)
                return Self.notifications(server).contains { $0["receiver"] as? String == "me" && $0["purpose"] as? String == "acknowledged" }
            }, "the person hears that anna answered")
        try await Task.sleep(for: .seconds(8))  // past ben's turn, had the escalation gone on
        #expect(!Self.notifications(server).contains { $0["receiver"] as? String == "ben" }, "escalation stopped")

        // Every attempt was reported on delivery.<channel>.
        let deliveries = client.messages("delivery.").compactMap { try? $0.decode(Delivery.self).body }
        #expect(deliveries.contains { $0.channel == "webhook" && $0.receiver == "me" && $0.outcome == .sent && $0.alertIds == [fall.alertId] })
        #expect(deliveries.contains { $0.channel == "console" && $0.outcome == .sent })

        await notify.stop()
        #expect(notify.process.terminationStatus == 0)
        await bus.stop()
    }

    /// `--false-alarm` from the CLI: everyone told hears it, and the diary (through the
    /// manual service) gets a "not a spasm" confirmation. The phone page's "I'm OK" works too.
    @Test func aFalseAlarmIsToldToEveryoneAndRecordedAsNoSpasm() async throws {
        let home = try TestSupport.temporaryHome("notify-false")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try Self.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(server.url)"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
             "routes": [{"receivers": ["me", "anna"], "escalate": false}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let manual = try await ManualProcess.start(home: home)
        let client = try TestBus(home: home, prefixes: [Topic.manualEntry, Topic.acknowledgement])
        defer { client.close() }
        let fall = Self.fall()
        #expect(
            await Self.eventually {
                try? client.publish(fall)
                return Self.notifications(server).count >= 2
            })

        // Another alert, answered on the phone page ("I'm OK"): anna hears that the person is OK.
        let second = Self.fall()
        #expect(
            await Self.eventually {
                try? client.publish(second)
                return Self.notifications(server).contains { ($0["alertIds"] as? [String]) == [second.alertId.uuidString] }
            })
        // The page knows the alert once the manual service has heard it.
        var pageStatus = 0
        for _ in 0..<100 where pageStatus != 200 {
            let url = "\(manual.base)/api/alerts/\(second.alertId.uuidString.prefix(8).lowercased())/acknowledge"
            pageStatus = (try? await http("POST", url, body: "{}"))?.status ?? 0
            if pageStatus != 200 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(pageStatus == 200, "the phone page's I'm OK was accepted")
        #expect(
            await Self.eventually {
                Self.notifications(server).contains {
                    $0["receiver"] as? String == "anna" && $0["purpose"] as? String == "acknowledged"
                        && ($0["alertIds"] as? [String]) == [second.alertId.uuidString]
                }
            }, "the phone page's acknowledgement reached notify")

        let short = String(fall.alertId.uuidString.lowercased().prefix(8))
        let ack = try ChildProcess("spasmwatch", ["ack", short, "--false-alarm", "--wait", "2"], home: home)
        #expect(await ack.wait(timeout: 30) == 0, "ack: \(ack.stderr)")
        #expect(ack.stdout.contains("false alarm"))
        #expect(
            await Self.eventually {
                Self.notifications(server).filter { $0["purpose"] as? String == "false-alarm" }.count == 2
            }, "both who were told hear it was a false alarm")
        let entry = try #require(client.messages(Topic.manualEntry).compactMap { try? $0.decode(DiaryEntry.self) }.first)
        #expect(
            entry.body.confirmation
                == EpisodeConfirmation(
                    episodeId: fall.episodeId!, wasSpasm: false,
                    note: "false alarm (spasmwatch ack --false-alarm)"))
        #expect(entry.header.source == "manual", "through the manual service")
        let acks = client.messages(Topic.acknowledgement).compactMap { try? $0.decode(Acknowledgement.self).body }
        #expect(acks.contains { $0.alertId == fall.alertId && $0.falseAlarm && $0.via == "cli" })
        #expect(acks.contains { $0.alertId == second.alertId && !$0.falseAlarm && $0.via == "web" })
        await manual.process.stop()
        await notify.stop()
        await bus.stop()
    }

    /// `spasmwatch ack` with no id takes the latest open alert, saying which, and records the
    /// user who ran it rather than claiming the person answered; the next one takes the one
    /// before; with none open it says so.
    @Test func ackWithNoIdTakesTheLatestOpenAlertAndRecordsWhoRanIt() async throws {
        let home = try TestSupport.temporaryHome("notify-ack-latest")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        try Self.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(server.url)"}]}],
             "routes": [{"receivers": ["me"], "escalate": false}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let client = try TestBus(home: home, prefixes: [Topic.acknowledgement])
        defer { client.close() }
        let now = Date().timeIntervalSince1970
        let older = Self.fall(at: now - 120)
        let newer = Self.fall(at: now - 60)
        for alert in [older, newer] {
            #expect(
                await Self.eventually {
                    try? client.publish(alert)
                    return Self.notifications(server).contains { ($0["alertIds"] as? [String]) == [alert.alertId.uuidString] }
                })
        }
        let user = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        func short(_ alert: Alert) -> String { String(alert.alertId.uuidString.lowercased().prefix(8)) }
        func acks() -> [Acknowledgement] { client.messages(Topic.acknowledgement).compactMap { try? $0.decode(Acknowledgement.self).body } }

        var ack = try ChildProcess("spasmwatch", ["ack", "--wait", "2"], home: home)
        #expect(await ack.wait(timeout: 30) == 0, "ack: \(ack.stderr)")
        #expect(ack.stdout.contains("latest open alert, \(short(newer))"), "\(ack.stdout)")
        #expect(await Self.eventually { acks().contains { $0.alertId == newer.alertId } })
        #expect(acks().first { $0.alertId == newer.alertId }?.by == user, "the user who ran it, not the person: \(acks())")

        // Once notify has it (its journal first, then "acknowledged" to the person, who did not
        // answer this time), the next `ack` takes the one before.
        #expect(
            await Self.eventually {
                Self.notifications(server).contains {
                    $0["purpose"] as? String == "acknowledged" && ($0["alertIds"] as? [String]) == [newer.alertId.uuidString]
                }
            }, "the person hears someone else answered: \(Self.notifications(server))")
        ack = try ChildProcess("spasmwatch", ["ack", "--wait", "2", "--by", "anna"], home: home)
        #expect(await ack.wait(timeout: 30) == 0, "ack: \(ack.stderr)")
        #expect(ack.stdout.contains("latest open alert, \(short(older))"), "\(ack.stdout)")
        #expect(await Self.eventually { acks().contains { $0.alertId == older.alertId && $0.by == "anna" } })
        await notify.stop()
        await bus.stop()
    }

    /// Deliveries go through notify's outbox and are re-sent with the same id after a crash
    /// until storage confirms them; on start, notify resumes alerts nobody got — from its
    /// own journal and from storage (a stand-in answering storage's query here).
    @Test func deliveriesSurviveACrashAndUndeliveredAlertsAreResumed() async throws {
        let home = try TestSupport.temporaryHome("notify-resume")
        defer { try? FileManager.default.removeItem(at: home) }
        let down = Flag(true)
        let server = try await TinyHTTPServer { _ in down.value.load(ordering: .relaxed) ? 503 : 200 }
        defer { server.stop() }
        try Self.write(
            """
            {"receivers": [{"name": "me", "channels": [{"type": "console"},
                                                       {"type": "webhook", "url": "\(server.url)", "maxAttempts": 5, "backoffSeconds": 60}]}],
             "routes": [{"receivers": ["me"]}], "groupWaitSeconds": 0}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let client = try TestBus(home: home, prefixes: [Topic.deliveryPrefix])
        defer { client.close() }

        // Run 1: the console gets the alert, the webhook is down: its first attempt fails and
        // is reported, the next waits a minute — and notify crashes.
        var notify = try ChildProcess("spasmwatch-notify", ["--set", "expectedServices=spasmwatch-bus"], home: home)
        #expect(await notify.waitForOutput("started"))
        let seenByRun1 = Alert(
            kind: "tonic", severity: .warning, groupKey: "tonic:left-leg", title: "Long tonic spasm",
            message: "A tonic spasm lasted 90 s.", at: Date().timeIntervalSince1970, site: .leftCalf)
        #expect(
            await Self.eventually {
                try? client.publish(seenByRun1)
                return !client.messages("delivery.webhook").isEmpty
            })
        let failed = try #require(client.messages("delivery.webhook").first)
        #expect(try failed.decode(Delivery.self).body.outcome == .failed)
        #expect(await notify.waitForOutput("NOTIFY me: [warning]"), "the console got it")
        notify.signal(SIGKILL)
        let requestsInRun1 = server.received.count
        _ = await notify.wait(timeout: 10)

        // Meanwhile an alert was published that notify never saw; storage has it.
        let missed = Alert(
            kind: "fall", severity: .critical, groupKey: "fall:right-leg", title: "Possible fall",
            message: "A fall was detected.", at: Date().timeIntervalSince1970, site: .rightAnkle)
        let storage = try StandInStoreQueries(endpoint: client.endpoints.storeQuery, alerts: [missed])
        defer { storage.stop() }

        // Run 2: webhook back up, storage answering and confirming deliveries.
        down.value.store(false, ordering: .relaxed)
        let receipts = try TestBus(home: home, prefixes: [Topic.deliveryPrefix], storeReceipts: true)
        defer { receipts.close() }
        notify = try ChildProcess("spasmwatch-notify", ["--set", "expectedServices=spasmwatch-bus"], home: home)
        #expect(await notify.waitForOutput("started"))
        #expect(
            await Self.eventually {
                let ok = Self.notifications(server).flatMap { ($0["alertIds"] as? [String]) ?? [] }
                return ok.contains(seenByRun1.alertId.uuidString) && ok.contains(missed.alertId.uuidString)
            }, "the interrupted webhook send and storage's undelivered alert were delivered after the restart")
        #expect(
            Self.notifications(server).dropFirst(requestsInRun1)
                .filter { ($0["alertIds"] as? [String]) == [seenByRun1.alertId.uuidString] }.count == 1,
            "the interrupted send is taken up once")
        let resent = try #require(Self.notifications(server).last { ($0["alertIds"] as? [String]) == [seenByRun1.alertId.uuidString] })
        #expect((resent["title"] as? String)?.hasSuffix("(resent after a restart)") == true, "a repeated notification says so")
        let late = try #require(Self.notifications(server).last { ($0["alertIds"] as? [String]) == [missed.alertId.uuidString] })
        #expect((late["title"] as? String)?.contains("resent") == false, "one nobody had is not a repeat")
        #expect(!notify.stdout.contains("NOTIFY me: [warning]"), "the console, which had it, is not told again")
        #expect(storage.state.queries.load(ordering: .relaxed) >= 1)
        #expect(
            await Self.eventually {
                client.messages("delivery.webhook").filter { $0.header.id == failed.header.id }.count >= 2
            }, "the first run's delivery report was re-sent with the same id")
        // With storage's receipts the outbox empties (heartbeat counter).
        let beats = try TestBus(home: home, prefixes: [Topic.heartbeat("spasmwatch-notify")])
        defer { beats.close() }
        #expect(
            await Self.eventually(30) {
                beats.messages("heartbeat.").last.flatMap { try? $0.decode(Heartbeat.self).body.counters["outbox.pending"] } == 0
            }, "every delivery report confirmed by storage")
        await notify.stop()
        await bus.stop()
    }

    /// `spasmwatch notify test --dry-run` tries every receiver's every channel itself and says which failed.
    @Test func notifyTestReportsEachChannel() async throws {
        let home = try TestSupport.temporaryHome("notify-test")
        defer { try? FileManager.default.removeItem(at: home) }
        let good = try await TinyHTTPServer()
        let bad = try await TinyHTTPServer { _ in 500 }
        defer {
            good.stop()
            bad.stop()
        }
        try Self.write(
            """
            {"receivers": [{"name": "me", "channels": [{"type": "console"}, {"type": "webhook", "url": "\(good.url)", "format": "ntfy"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(bad.url)"}]}],
             "routes": [{"receivers": ["me"]}]}
            """, to: home)
        let test = try ChildProcess("spasmwatch", ["notify", "test", "--dry-run"], home: home)
        #expect(await test.wait(timeout: 30) == 1, "a failed channel is exit status 1")
        #expect(test.stdout.contains("ok      me via console"))
        #expect(test.stdout.contains("ok      me via webhook (ntfy)"))
        #expect(test.stdout.contains("FAILED  anna via webhook (json)"))
        #expect(test.stdout.contains("HTTP 500"))
        #expect(good.received.first?.headers["title"] == "SpasmWatch test")
        #expect(bad.received.count == 1, "the CLI's test tries each channel once")
    }

    /// The custom consumers from docs/custom-alert-consumer.md print a real alert: notify's
    /// watchdog raises one when a running service stops.
    @Test func exampleConsumersPrintARealAlert() async throws {
        let home = try TestSupport.temporaryHome("notify-consumers")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", ["--set", "notify.serviceSilentAfterSeconds=2"], home: home)
        #expect(await notify.waitForOutput("started"))
        let swift = try ChildProcess("alert-consumer-example", ["--count", "1"], home: home)
        #expect(await swift.waitForOutput("listening for alerts"))
        let python: ChildProcess? =
            PythonProducer.available
            ? try ChildProcess(
                "/usr/bin/env",
                [
                    "python3", TestSupport.repositoryRoot.appendingPathComponent("examples/python/alert_consumer.py").path,
                    "--count", "1", "--timeout", "60",
                ], home: home)
            : nil
        if let python { #expect(await python.waitForOutput("listening for alerts")) }
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        try await Task.sleep(for: .seconds(2))  // notify sees its heartbeats
        await store.stop()

        #expect(await swift.wait(timeout: 40) == 0, "swift consumer: \(swift.stderr)")
        #expect(swift.stdout.contains("alert.warning"))
        #expect(swift.stdout.contains("kind=service-down"))
        if let python {
            #expect(await python.wait(timeout: 40) == 0, "python consumer: \(python.stderr)")
            #expect(python.stdout.contains("alert.warning"))
            #expect(python.stdout.contains("kind=service-down"))
        }
        await notify.stop()
        await bus.stop()
    }

    @Test(.enabled(if: PythonProducer.available, "python3 with pyzmq is not installed (deploy/stack test installs it)"))
    func pythonConsumerPrintsRawEnvelopes() async throws {
        let home = try TestSupport.temporaryHome("notify-python")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let python = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", TestSupport.repositoryRoot.appendingPathComponent("examples/python/alert_consumer.py").path,
                "--json", "--count", "1", "--timeout", "60",
            ], home: home)
        #expect(await python.waitForOutput("listening for alerts"))
        let test = try ChildProcess("spasmwatch", ["notify", "test", "--via-bus", "--severity", "critical"], home: home)
        #expect(await test.wait(timeout: 30) == 2, "published, but spasmwatch-notify is not running here")
        #expect(await python.wait(timeout: 40) == 0, "python consumer: \(python.stderr)")
        let line = try #require(python.stdout.split(separator: "\n").first)
        let envelope = try WireCodec.decode(Alert.self, from: Data(line.utf8))
        #expect(envelope.body.kind == "test")
        #expect(envelope.body.severity == .critical)
        #expect(envelope.header.source == "cli")
        await bus.stop()
    }
}

/// Stands in for storage's query endpoint: answers `{"query":"alerts","undeliveredOnly":true}`
/// with the given alerts in storage's response shape, and a plain `{"query":"alerts","from":t}`
/// with the `answered` alerts and their acknowledgements (and the `helped` ones with their
/// help requests).
final class StandInStoreQueries: Sendable {
    let context = ZMQContext()
    let state = State()
    let thread: SocketThread

    final class State: Sendable {
        let queries = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)
    }

    init(endpoint: String, alerts: [Alert], answered: [(Alert, Acknowledgement)] = [], helped: [(Alert, HelpRequest)] = []) throws {
        let reply = try JSONSerialization.data(withJSONObject: [
            "ok": true,
            "alerts": try alerts.map { alert -> [String: Any] in
                [
                    "person": "me", "alert": try JSONSerialization.jsonObject(with: WireCodec.encode(alert)),
                    "acknowledgements": [], "deliveryAttempts": 0, "delivered": false,
                ]
            },
        ])
        let answers = try JSONSerialization.data(withJSONObject: [
            "ok": true,
            "alerts": try answered.map { alert, ack -> [String: Any] in
                [
                    "person": "me", "alert": try JSONSerialization.jsonObject(with: WireCodec.encode(alert)),
                    "acknowledgements": [try JSONSerialization.jsonObject(with: JSONEncoder().encode(ack))],
                    "deliveryAttempts": 1, "delivered": true,
                ]
            }
                + helped.map { alert, help -> [String: Any] in
                    [
                        "person": "me", "alert": try JSONSerialization.jsonObject(with: WireCodec.encode(alert)),
                        "acknowledgements": [], "helpRequests": [try JSONSerialization.jsonObject(with: JSONEncoder().encode(help))],
                        "deliveryAttempts": 1, "delivered": true,
                    ]
                },
        ])
        let (context, state) = (self.context, self.state)
        let ready = SocketThread.Handshake()
        thread = SocketThread(name: "stand-in-storage") {
            do {
                let socket = try ZMQSocket(context: context, type: .rep)
                defer { socket.close() }
                try socket.setReceiveTimeout(milliseconds: 100)
                try socket.setLinger(milliseconds: 0)
                try socket.bind(endpoint)
                ready.succeed()
                while !state.stopped.load(ordering: .relaxed) {
                    guard let frames = try socket.receiveMultipart(), let request = frames.first,
                        let query = try? JSONSerialization.jsonObject(with: request) as? [String: Any]
                    else { continue }
                    let alertsQuery = query["query"] as? String == "alerts"
                    let undelivered = query["undeliveredOnly"] as? Bool == true
                    state.queries.add(1, ordering: .relaxed)
                    _ = try socket.send([alertsQuery ? (undelivered ? reply : answers) : Data(#"{"ok":false,"error":"unexpected query"}"#.utf8)])
                }
            } catch {
                ready.fail(error)
            }
        }
        try ready.wait()
    }

    func stop() {
        state.stopped.store(true, ordering: .relaxed)
        thread.join()
        context.terminate()
    }
}

/// A flag a test flips while a server thread reads it.
final class Flag: Sendable {
    let value: Atomic<Bool>
    init(_ initial: Bool) { value = Atomic(initial) }
}
