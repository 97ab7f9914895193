import Foundation
import SpasmSchema
import SpasmTestSupport
import Testing

/// The diary end to end: the real `spasmwatch-bus`, `spasmwatch-manual` and `spasmwatch`
/// CLI as separate processes, real HTTP requests, a stand-in storage in the test; each
/// test in its own data home.
@Suite("Diary processes", .serialized)
struct ManualDiaryProcessTests {
    static let severityError = "severity 4 is outside 1–3 (PSFS: 1 mild, 2 moderate, 3 severe)"
    /// The CLI, the JSON API and so the page (which shows the API's `error`) say the same.
    static let siteTypoError = "site 'left cafl' is not a body site (did you mean left-calf?); allowed: \(BodySite.allowedList)"

    /// The issue's "done when": a spasm from the CLI and one from the page, both in the
    /// recent list and on the bus; then entries made while the bus, storage, or the manual
    /// service itself is down — each arrives, and is stored exactly once.
    @Test func entriesArriveExactlyOnceAcrossBusStorageAndServiceOutages() async throws {
        let home = try TestSupport.temporaryHome("diary-outages")
        defer { try? FileManager.default.removeItem(at: home) }
        var bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let storage = try StandInStorage(home: home)
        var manual = try await ManualProcess.start(home: home)
        let tail = try ChildProcess("spasmwatch", ["tail", "manual.", "--json", "--seconds", "60"], home: home)
        try await Task.sleep(for: .milliseconds(700))  // let tail's subscription reach the bus

        // 1. From the CLI.
        let cli = try ChildProcess(
            "spasmwatch",
            [
                "log", "spasm", "--site", "left-calf", "--type", "tonic", "--severity", "2",
                "--pain", "6", "--duration", "45s",
            ], home: home)
        #expect(await cli.wait(timeout: 30) == 0)
        #expect(cli.stdout.contains("spasm: left calf, tonic, moderate (2), pain 6/10, 45 s"))
        let cliShort = try #require(savedShortId(cli.stdout))

        // 2. From the page (the JSON API the page uses), with the id the phone gave it.
        let pageId = UUID()
        let page = try await http(
            "POST", "\(manual.base)/api/entries",
            body: """
                {"entryId":"\(pageId.uuidString)","kind":"spasm","spasm":{"site":"right-foot","type":"phasic","severity":3}}
                """)
        #expect(page.status == 201)

        // Both in the recent list (CLI) and on the bus (tail).
        let recent = try ChildProcess("spasmwatch", ["recent"], home: home)
        #expect(await recent.wait(timeout: 30) == 0)
        #expect(recent.stdout.contains(cliShort))
        #expect(recent.stdout.contains(String(pageId.uuidString.lowercased().prefix(8))))
        #expect(await tail.waitForOutput(pageId.uuidString, timeout: 20))
        #expect(tail.stdout.uppercased().contains(cliShort.uppercased()))
        let cliId = try #require(await waitForEntry(storage, shortId: cliShort))
        #expect(await storage.waitUntilStored([cliId, pageId]))
        await tail.stop()

        // 3. The bus is killed; an entry is written; the bus comes back.
        bus.signal(SIGKILL)
        await bus.wait(timeout: 10)
        let duringBusOutage = try ChildProcess("spasmwatch", ["log", "checkin", "--nrs", "5", "--psfs", "2"], home: home)
        #expect(await duringBusOutage.wait(timeout: 30) == 0)
        #expect(duringBusOutage.stdout.contains("saved "))
        #expect(!duringBusOutage.stdout.contains("not running"))  // the manual service took it
        let busOutageShort = try #require(savedShortId(duringBusOutage.stdout))
        bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let busOutageId = try #require(await waitForEntry(storage, shortId: busOutageShort))

        // 4. Storage stops; an entry comes from the page; storage comes back.
        storage.stop()
        let storageOutageId = UUID()
        let duringStorageOutage = try await http(
            "POST", "\(manual.base)/api/entries",
            body: """
                {"entryId":"\(storageOutageId.uuidString)","kind":"medication","medication":{"name":"baclofen","dose":10,"unit":"mg"}}
                """)
        #expect(duringStorageOutage.status == 201)
        try await Task.sleep(for: .seconds(3))  // at least one re-send into the void
        try storage.start()
        #expect(await storage.waitUntilStored([storageOutageId]))

        // 5. The manual service is killed; the CLI writes into its outbox; the service starts and sends it.
        manual.process.signal(SIGKILL)
        await manual.process.wait(timeout: 10)
        let duringManualOutage = try ChildProcess("spasmwatch", ["log", "med", "baclofen", "15mg", "--change"], home: home)
        #expect(await duringManualOutage.wait(timeout: 30) == 0)
        #expect(duringManualOutage.stdout.contains("the manual service is not running"))
        let manualOutageShort = try #require(savedShortId(duringManualOutage.stdout))
        manual = try await ManualProcess.start(home: home)
        let manualOutageId = try #require(await waitForEntry(storage, shortId: manualOutageShort))
        // The restarted service took over its request socket (left behind by the kill).
        let afterRestart = try ChildProcess("spasmwatch", ["recent"], home: home)
        #expect(await afterRestart.wait(timeout: 30) == 0)
        #expect(!afterRestart.stdout.contains("is not running"))
        #expect(afterRestart.stdout.contains(manualOutageShort))
        // The phone re-sends an entry it already sent (it never saw the answer): one entry still.
        let resend = try await http(
            "POST", "\(manual.base)/api/entries",
            body: """
                {"entryId":"\(pageId.uuidString)","kind":"spasm","spasm":{"site":"right-foot","type":"phasic","severity":3}}
                """)
        #expect(resend.status == 200)
        #expect(try resend.json()["saved"].flatMap { ($0 as? [String: Any])?["duplicate"] as? Bool } == true)

        // Everything stored, each exactly once; the service's outbox drains.
        let all = [cliId, pageId, busOutageId, storageOutageId, manualOutageId]
        #expect(await storage.waitUntilStored(all))
        #expect(await waitUntilAllStoredInRecent(home: home, count: all.count))
        let stored = storage.entries.map(\.entryId)
        for id in all { #expect(stored.filter { $0 == id }.count == 1, "entry \(id) stored once") }
        #expect(storage.rowCount == all.count, "nothing else was stored (no entry under a second id)")
        // The entry from the storage outage reached storage's socket once more after it came back
        // (re-sent until the receipt), and was still stored once.
        #expect(storage.deliveryCount(storageOutageId) >= 1)

        storage.stop()
        await manual.process.stop()
        #expect(manual.process.process.terminationStatus == 0)
        await bus.stop()
    }

    /// The JSON API: the same validation sentences as the CLI, idempotent by entry id,
    /// undo, the page itself, episodes to confirm, alerts to acknowledge.
    @Test func jsonAPIValidatesDeduplicatesUndoesConfirmsAndAcknowledges() async throws {
        let home = try TestSupport.temporaryHome("diary-http")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let storage = try StandInStorage(home: home)
        let manual = try await ManualProcess.start(home: home)

        let page = try await http("GET", "\(manual.base)/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains("Spasm now"))
        #expect(page.text.contains("localStorage"))

        let bad = try await http("POST", "\(manual.base)/api/entries", body: #"{"kind":"spasm","spasm":{"type":"tonic","severity":4}}"#)
        #expect(bad.status == 400)
        #expect(try bad.json()["error"] as? String == Self.severityError)
        #expect(try bad.json()["field"] as? String == "spasm.severity")
        let elbow = try await http(
            "POST", "\(manual.base)/api/entries", body: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"site":"elbow"}}"#)
        #expect((try elbow.json()["error"] as? String)?.hasPrefix("site 'elbow' is not a body site; allowed: left-foot, right-foot,") == true)
        let typo = try await http(
            "POST", "\(manual.base)/api/entries", body: #"{"kind":"spasm","spasm":{"type":"tonic","severity":2,"site":"left cafl"}}"#)
        #expect(typo.status == 400)
        #expect(try typo.json()["error"] as? String == Self.siteTypoError)
        #expect(try typo.json()["field"] as? String == "spasm.site")

        let id = UUID()
        let body = #"{"entryId":"\#(id.uuidString)","kind":"checkin","checkin":{"nrs":4,"psfs":1,"sleepQuality":7}}"#
        let first = try await http("POST", "\(manual.base)/api/entries", body: body)
        let second = try await http("POST", "\(manual.base)/api/entries", body: body)
        #expect(first.status == 201)
        #expect(second.status == 200)
        var list = try await http("GET", "\(manual.base)/api/entries")
        var entries = try list.json()["entries"] as? [[String: Any]] ?? []
        #expect(entries.count == 1)
        #expect((entries.first?["summary"] as? String) == "check-in: spasticity 4/10, PSFS 1, sleep 7/10")

        let undo = try await http(
            "POST", "\(manual.base)/api/entries",
            body: #"{"kind":"correction","correction":{"targetEntryId":"\#(id.uuidString)","action":"retract"}}"#)
        #expect(undo.status == 201)
        list = try await http("GET", "\(manual.base)/api/entries")
        entries = try list.json()["entries"] as? [[String: Any]] ?? []
        #expect(entries.first { ($0["shortId"] as? String) == ShortId.of(id) }?["retracted"] as? Bool == true)
        let undoAgain = try await http(
            "POST", "\(manual.base)/api/entries",
            body: #"{"kind":"correction","correction":{"targetEntryId":"\#(id.uuidString)"}}"#)
        #expect(undoAgain.status == 400)
        #expect(
            try undoAgain.json()["error"] as? String
                == "entry \(ShortId.of(id)) (check-in: spasticity 4/10, PSFS 1, sleep 7/10) is already undone")

        // A detected episode appears, is confirmed from the page; an alert is acknowledged.
        let episodeId = UUID()
        let now = Date().timeIntervalSince1970
        let episode = EpisodeEvent(
            episodeId: episodeId, phase: .end, kind: .clonus, sensorId: "ankle-r", site: .rightAnkle,
            start: now - 10, end: now - 4, detectedAt: now - 8, confidence: 0.9)
        let alert = Alert(
            kind: "fall", severity: .critical, groupKey: "me/fall", title: "Possible fall",
            message: "A fall was detected by the right ankle sensor.", at: now)
        var episodes: [[String: Any]] = []
        var alerts: [[String: Any]] = []
        for _ in 0..<60 where episodes.isEmpty || alerts.isEmpty {
            try storage.publish(episode, topic: Topic.episode("clonus"))
            try storage.publish(alert, topic: Topic.alert(.critical))
            try await Task.sleep(for: .milliseconds(250))
            episodes = try await http("GET", "\(manual.base)/api/episodes").json()["episodes"] as? [[String: Any]] ?? []
            alerts = try await http("GET", "\(manual.base)/api/alerts").json()["alerts"] as? [[String: Any]] ?? []
        }
        #expect(episodes.count == 1)
        #expect(episodes.first?["shortId"] as? String == ShortId.of(episodeId))
        #expect(alerts.count == 1)

        let confirm = try await http(
            "POST", "\(manual.base)/api/entries",
            body: #"{"kind":"confirmation","confirmation":{"episodeId":"\#(episodeId.uuidString)","wasSpasm":true}}"#)
        #expect(confirm.status == 201)
        episodes = try await http("GET", "\(manual.base)/api/episodes").json()["episodes"] as? [[String: Any]] ?? []
        #expect(episodes.first?["wasSpasm"] as? Bool == true)

        let ack = try await http("POST", "\(manual.base)/api/alerts/\(ShortId.of(alert.alertId))/acknowledge", body: "{}")
        #expect(ack.status == 200)
        alerts = try await http("GET", "\(manual.base)/api/alerts").json()["alerts"] as? [[String: Any]] ?? []
        #expect(alerts.isEmpty)
        // The acknowledgement reached storage (reliably, through the outbox).
        let deadline = Date().addingTimeInterval(20)
        while storage.acknowledgements.isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(storage.acknowledgements.map(\.alertId) == [alert.alertId])
        #expect(storage.acknowledgements.first?.via == "web")

        // The CLI sees the same episode by prefix and refuses a bad entry with the API's sentence.
        let cliBad = try ChildProcess("spasmwatch", ["log", "spasm", "--type", "tonic", "--severity", "4"], home: home)
        #expect(await cliBad.wait(timeout: 30) == 2)
        #expect(cliBad.stderr.contains(Self.severityError))
        let cliTypo = try ChildProcess("spasmwatch", ["log", "spasm", "--site", "left cafl", "--type", "tonic", "--severity", "2"], home: home)
        #expect(await cliTypo.wait(timeout: 30) == 2)
        #expect(cliTypo.stderr.contains("spasmwatch: \(Self.siteTypoError)\n"), "\(cliTypo.stderr)")
        let episodesCLI = try ChildProcess("spasmwatch", ["episodes"], home: home)
        #expect(await episodesCLI.wait(timeout: 30) == 0)
        #expect(episodesCLI.stdout.contains(ShortId.of(episodeId)))
        let confirmCLI = try ChildProcess("spasmwatch", ["confirm", String(ShortId.of(episodeId).prefix(6)), "no"], home: home)
        #expect(await confirmCLI.wait(timeout: 30) == 0)
        #expect(confirmCLI.stdout.contains("episode \(ShortId.of(episodeId)): no, not a spasm"))

        storage.stop()
        await manual.process.stop()
        await bus.stop()
    }

    /// Bound beyond loopback, the diary refuses to start without a token, and with one
    /// (and the home's certificate: it serves HTTPS there) lets in only requests that carry it.
    /// A `refused` receipt is not a confirmation: the page's entry is not shown as stored
    /// (it carries storage's reason), and `spasmwatch ack` says storage refused it and why,
    /// exiting non-zero.
    @Test func whatStorageRefusedIsNotShownAsStored() async throws {
        let home = try TestSupport.temporaryHome("diary-refused")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let storage = try StandInStorage(home: home)
        defer { storage.stop() }
        storage.refuse(DiaryEntry.messageType, reason: "spasm.severity: a rule storage keeps")
        storage.refuse(Acknowledgement.messageType, reason: "by: a rule storage keeps")
        let manual = try await ManualProcess.start(home: home)
        let posted = try await http(
            "POST", "\(manual.base)/api/entries",
            body: #"{"kind":"spasm","spasm":{"site":"left-calf","type":"tonic","severity":2}}"#)
        #expect(posted.status == 201, "\(posted.text)")
        var entry: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, entry["refused"] == nil {
            entry = (try await http("GET", "\(manual.base)/api/entries").json()["entries"] as? [[String: Any]])?.first ?? [:]
            if entry["refused"] == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(entry["refused"] as? String == "spasm.severity: a rule storage keeps", "\(entry)")
        #expect(entry["stored"] as? Bool == false, "a refused entry is not stored: \(entry)")
        #expect(storage.entries.isEmpty)

        let ack = try ChildProcess("spasmwatch", ["ack", UUID().uuidString, "--wait", "20"], home: home)
        #expect(await ack.wait(timeout: 60) != 0, "a refused acknowledgement is not confirmed: \(ack.stdout)")
        #expect(ack.stderr.contains("storage refused the acknowledgement"), "\(ack.stderr)")
        #expect(ack.stderr.contains("by: a rule storage keeps"), "\(ack.stderr)")
        await manual.process.stop()
        await bus.stop()
    }

    @Test func aTokenGuardsTheDiaryWhenBoundBeyondLoopback() async throws {
        let home = try TestSupport.temporaryHome("diary-token")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))

        let open = try ChildProcess("spasmwatch-manual", ["--set", "manual.httpHost=0.0.0.0", "--set", "manual.httpPort=0"], home: home)
        let status = await open.wait(timeout: 30)
        #expect(status != nil && status != 0)
        #expect(open.stderr.contains("manual.httpToken must be set when manual.httpHost is '0.0.0.0'"))

        let token = "s3cret-\(UUID().uuidString.prefix(8))"
        let ca = try await HTTPSTest.initialize(home: home)
        let child = try ChildProcess(
            "spasmwatch-manual",
            [
                "--set", "manual.httpHost=0.0.0.0", "--set", "manual.httpPort=0",
                "--set", "manual.httpToken=\(token)",
            ], home: home)
        var port: Int?
        for _ in 0..<300 where port == nil {
            if let r = child.stderr.range(of: "diary page at https://0.0.0.0:") { port = Int(child.stderr[r.upperBound...].prefix { $0.isNumber }) }
            try await Task.sleep(for: .milliseconds(50))
        }
        let base = "https://localhost:\(try #require(port))"
        #expect(try HTTPSTest.curl(["\(base)/api/entries"], ca: ca).status == 401)
        #expect(try HTTPSTest.curl(["\(base)/"], ca: ca).status == 401)
        #expect(try HTTPSTest.curl(["-H", "Authorization: Bearer wrong", "\(base)/api/entries"], ca: ca).status == 401)
        #expect(try HTTPSTest.curl(["-H", "Authorization: Bearer \(token)", "\(base)/api/entries"], ca: ca).status == 200)
        // The token in the address once: a Secure cookie, and on to the address without it.
        let withQuery = try HTTPSTest.curl(["\(base)/?token=\(token)"], ca: ca)
        #expect(withQuery.status == 303 && withQuery.headers["location"] == "/", "\(withQuery)")
        #expect(withQuery.headers["set-cookie"]?.hasPrefix("spasmwatch_token=\(token)") == true)
        #expect(withQuery.headers["set-cookie"]?.contains("; Secure") == true)
        let withCookie = try HTTPSTest.curl(
            [
                "-X", "POST", "-H", "Cookie: spasmwatch_token=\(token)", "-H", "Content-Type: application/json",
                "--data", #"{"kind":"checkin","checkin":{"nrs":2}}"#, "\(base)/api/entries",
            ], ca: ca)
        #expect(withCookie.status == 201, "\(withCookie)")
        await child.stop()
        await bus.stop()
    }

    /// Bare `spasmwatch log` asks step by step, re-asking after a wrong answer; undo with
    /// a prefix; the service down, `recent` reads this machine's files.
    @Test func stepByStepLogUndoAndRecentWithoutTheService() async throws {
        let home = try TestSupport.temporaryHome("diary-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let answers = "1\nleft calf\ntwitch\ntonic\n4\nsevere\n7\n2m\nyesterday 22:00\nheat, stress\nwoke-me\n\n"
        let interview = try ChildProcess("spasmwatch", ["log", "--interactive"], home: home, stdin: Data(answers.utf8))
        #expect(await interview.wait(timeout: 30) == 0)
        #expect(interview.stdout.contains("type 'twitch' is not a spasm type; allowed: tonic, phasic, clonus, cramp, unsure"))
        #expect(interview.stdout.contains(Self.severityError))
        #expect(interview.stdout.contains("spasm: left calf, tonic, severe (3), pain 7/10, 2 min, triggers heat, stress, caused woke me"))
        #expect(interview.stdout.contains("the manual service is not running"))
        let short = try #require(savedShortId(interview.stdout))

        let recent = try ChildProcess("spasmwatch", ["recent"], home: home)
        #expect(await recent.wait(timeout: 30) == 0)
        #expect(recent.stdout.contains("spasmwatch-manual is not running"))
        #expect(recent.stdout.contains("\(short)  yesterday 22:00  sending"))

        let undo = try ChildProcess("spasmwatch", ["undo", String(short.prefix(5))], home: home)
        #expect(await undo.wait(timeout: 30) == 0)
        let after = try ChildProcess("spasmwatch", ["recent", "--json"], home: home)
        #expect(await after.wait(timeout: 30) == 0)
        let rows = after.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(RecentEntry.self, from: Data($0.utf8)) }
        #expect(rows.count == 2)
        #expect(rows.first { $0.shortId == short }?.retracted == true)
        #expect(rows.first { $0.entry.kind == .correction }?.entry.correction?.targetEntryId.uuidString.lowercased().hasPrefix(short) == true)

        // The service starts, takes both entries from its outbox into its list, and keeps the undo.
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let manual = try await ManualProcess.start(home: home)
        let list = try await http("GET", "\(manual.base)/api/entries")
        let entries = try JSONDecoder().decode(ManualReply.self, from: list.body).entries ?? []
        #expect(entries.count == 2)
        #expect(entries.first { $0.shortId == short }?.retracted == true)
        await manual.process.stop()
        await bus.stop()
    }
}

/// Waits until storage has an entry whose id starts with `shortId`.
func waitForEntry(_ storage: StandInStorage, shortId: String, timeout: Double = 30) async -> UUID? {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if let entry = storage.entries.first(where: { ShortId.of($0.entryId) == shortId }) { return entry.entryId }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return nil
}

/// Waits until `spasmwatch recent` shows `count` entries, all confirmed stored (the outbox is empty).
func waitUntilAllStoredInRecent(home: URL, count: Int, timeout: Double = 30) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if let recent = try? ChildProcess("spasmwatch", ["recent", "--json"], home: home), await recent.wait(timeout: 20) == 0 {
            let rows = recent.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(RecentEntry.self, from: Data($0.utf8)) }
            if rows.count == count && rows.allSatisfy(\.stored) { return true }
        }
        try? await Task.sleep(for: .milliseconds(500))
    }
    return false
}
