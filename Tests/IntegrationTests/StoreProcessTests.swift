import Foundation
import GRDB
import Logging
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmTestSupport
import Synchronization
import Testing
import ZeroMQ

/// The real `spasmwatch-bus` and `spasmwatch-store` processes, each test in its own home.
@Suite("Store processes", .serialized)
struct StoreProcessTests {
    /// A sender in this test process: outbox + publisher + receipt subscriber on the real bus.
    final class Sender: Sendable {
        let context = ZMQContext()
        let publisher: BusPublisher
        let receipts: BusSubscriber
        let sender: ReliableSender
        let counters = CounterSet()

        init(home: URL, source: String) throws {
            let address = try BusAddress.resolve(home: DataHome(root: home), configuration: Configuration())
            publisher = try BusPublisher(context: context, address: address, source: source, counters: counters)
            receipts = try BusSubscriber(context: context, address: address, prefixes: [Topic.stored(source)])
            let outbox = try Outbox.open(url: home.appendingPathComponent("data/outbox-\(source).sqlite"))
            sender = ReliableSender(
                outbox: outbox, publisher: publisher, receipts: receipts, counters: counters,
                resendInterval: 1, logger: Logger(label: "test-sender"))
        }

        func close() async {
            receipts.stop()
            await receipts.closeAsync()
            await publisher.closeAsync()
            context.terminate()
        }
    }

    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    func waitUntil(_ timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test func reliableMessagesAreStoredReceiptedAndQueryable() async throws {
        let home = try TestSupport.temporaryHome("store")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))

        let second = try ChildProcess("spasmwatch-store", home: home)
        let secondStatus = await second.wait(timeout: 20)
        #expect(secondStatus != nil && secondStatus != 0, "one writer per home")
        #expect(second.stderr.contains("already running"))

        let sender = try Sender(home: home, source: "manual-itest")
        let running = Task { try await sender.sender.run() }
        try await Task.sleep(for: .milliseconds(500))
        let now = Date().timeIntervalSince1970
        var ids: [UUID] = []
        for n in 0..<200 {
            let entry = DiaryEntry(
                recordedAt: now, via: "test", kind: .spasm,
                spasm: SpasmRecord(at: now - Double(n) * 60, site: .leftCalf, type: .phasic, severity: 1 + n % 3))
            ids.append(entry.entryId)
            try await sender.sender.send(entry, topic: Topic.manualEntry)
        }
        #expect(try await waitUntil(30) { try await sender.sender.outbox.pendingCount() == 0 }, "every entry receipted")

        let endpoint = Endpoints(home: DataHome(root: home), configuration: Configuration()).storeQuery
        let response = try await StoreClient.query(
            StoreRequest(query: .entries, kinds: ["spasm"]), context: sender.context,
            endpoint: endpoint)
        #expect(Set(response.entries?.map(\.entry.entryId) ?? []) == Set(ids))
        do {
            _ = try await StoreClient.query(StoreRequest(query: .entries, kinds: ["sneeze"]), context: sender.context, endpoint: endpoint)
            Issue.record("a bad request must be refused")
        } catch let error as SpasmError where SpasmError.Code.storeQueryFailures.contains(error.code) {
            #expect(error.description.contains("unknown entry kind"))
        }

        let history = try ChildProcess("spasmwatch", ["history", "--since", "1d", "--kind", "spasm"], home: home)
        #expect(await history.wait(timeout: 20) == 0)
        // The oldest entry comes first (stdout is read through a pipe: check the start of long output).
        #expect(history.stdout.contains(String(ids[199].uuidString.lowercased().prefix(8))))
        let stats = try ChildProcess("spasmwatch", ["stats", "--days", "3"], home: home)
        #expect(await stats.wait(timeout: 20) == 0)
        #expect(stats.stdout.contains("total 200"))
        let csvFile = home.appendingPathComponent("export.csv")
        let csv = try ChildProcess("spasmwatch", ["export", "--format", "csv", "--out", csvFile.path], home: home)
        #expect(await csv.wait(timeout: 20) == 0)
        let lines = try String(contentsOf: csvFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 201, "a header and one row per entry")
        #expect(lines.first?.hasPrefix("record,id,time_utc,local_time") == true)
        let reportFile = home.appendingPathComponent("report.html")
        let report = try ChildProcess("spasmwatch", ["report", "--out", reportFile.path], home: home)
        #expect(await report.wait(timeout: 20) == 0)
        #expect(try String(contentsOf: reportFile, encoding: .utf8).contains("<b id=\"total-diary\">200</b>"))
        let backupFile = home.appendingPathComponent("backup.sqlite")
        let backup = try ChildProcess("spasmwatch", ["backup", backupFile.path], home: home)
        #expect(await backup.wait(timeout: 20) == 0)
        let copy = try DatabaseQueue(path: backupFile.path)
        #expect(try await copy.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM diary_entry") } == 200)
        let status = try ChildProcess("spasmwatch", ["status", "--set", "expectedServices=spasmwatch-bus,spasmwatch-store"], home: home)
        #expect(await status.wait(timeout: 20) == 0)
        #expect(status.stdout.contains("store: database:"))
        #expect(status.stdout.contains("store: disk budget: 5.0 GB"))

        running.cancel()
        _ = try? await running.value
        await sender.close()
        await store.stop()
        #expect(store.process.terminationStatus == 0)
        await bus.stop()
    }

    @Test func aQueryWithNoStoreRunningFailsWithAClearError() async throws {
        let home = try TestSupport.temporaryHome("store-none")
        defer { try? FileManager.default.removeItem(at: home) }
        let context = ZMQContext()
        do {
            _ = try await StoreClient.query(
                StoreRequest(query: .info), context: context,
                endpoint: "ipc://\(home.path)/nobody.sock", timeoutSeconds: 0.5)
            Issue.record("no store: the query must fail")
        } catch let error as SpasmError where SpasmError.Code.storeQueryFailures.contains(error.code) {
            #expect(error.description.contains("no answer from spasmwatch-store"))
        }
        await onBlockingPool { context.terminate() }
        let history = try ChildProcess("spasmwatch", ["history"], home: home)
        #expect(await history.wait(timeout: 30) == 64, "a usage-style error exit, not a crash")
        #expect(history.stderr.contains("is it running?"))
    }

    /// kill -9 in the middle of a write burst: the database is intact, every receipted message
    /// is in it, and after a restart the outbox's re-sends fill in the rest.
    @Test func killDuringABurstLosesNothingThatWasReceipted() async throws {
        let home = try TestSupport.temporaryHome("store-kill")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        var store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let sender = try Sender(home: home, source: "detect-itest")
        let running = Task { try await sender.sender.run() }
        try await Task.sleep(for: .milliseconds(500))

        // Send until 200 messages after the kill, so the kill lands mid-burst however fast the disk is.
        let killed = Flag()
        let burst = Task {
            var ids: [UUID] = []
            var afterKill = 0
            let now = Date().timeIntervalSince1970
            while afterKill < 200 && ids.count < 50_000 {
                let n = ids.count
                let episode = EpisodeEvent(
                    episodeId: UUID(), phase: .onset, kind: .clonus, sensorId: "ankle-r", site: .rightAnkle,
                    start: now + Double(n), detectedAt: now + Double(n) + 2, confidence: 0.9)
                ids.append(try await sender.sender.send(episode, topic: Topic.episode("clonus")))
                if killed.value.load(ordering: .relaxed) { afterKill += 1 }
            }
            return ids
        }
        #expect(await waitUntil(30) { sender.counters["outbox.confirmed"] >= 100 }, "receipts arrive during the burst")
        store.signal(SIGKILL)
        _ = await store.wait(timeout: 10)
        killed.value.store(true, ordering: .relaxed)
        let ids = try await burst.value
        let total = ids.count
        try await Task.sleep(for: .seconds(1))  // receipts in flight before the kill are applied
        let pending = Set(try await sender.sender.outbox.all().map(\.id))
        let receipted = ids.filter { !pending.contains($0) }
        #expect(!receipted.isEmpty && !pending.isEmpty, "the kill landed mid-burst (\(receipted.count) receipted, \(pending.count) pending)")

        let database = home.appendingPathComponent("data/spasmwatch.sqlite")
        do {
            let db = try DatabaseQueue(path: database.path)
            #expect(try await db.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
            let stored = Set(try await db.read { try UUID.fetchAll($0, sql: "SELECT messageId FROM received_message") })
            #expect(receipted.allSatisfy(stored.contains), "every receipted message is on disk")
            let episodes = try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM episode") } ?? 0
            #expect(episodes >= receipted.count)
            try db.close()
            let raw = try DatabaseQueue(path: home.appendingPathComponent("data/spasmwatch-raw.sqlite").path)
            #expect(try await raw.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
            try raw.close()
        }

        // Restarted, the store takes the re-sends: nothing is missing in the end.
        store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        #expect(try await waitUntil(40) { try await sender.sender.outbox.pendingCount() == 0 }, "the rest arrives after the restart")
        running.cancel()
        _ = try? await running.value
        await sender.close()
        await store.stop()
        let db = try DatabaseQueue(path: database.path)
        #expect(try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM episode") } == total)
        await bus.stop()
    }

    /// Storage keeps only what the sender's own rules accept (issue 12, point 7): a diary entry
    /// with severity 9 published on the bus, an episode with confidence 7 and an alert without a
    /// title are refused (counted `rejected.<type>`, not stored, no receipt); a valid entry beside
    /// them is stored and receipted.
    @Test func storageRefusesBodiesTheirSendersRulesRefuse() async throws {
        let home = try TestSupport.temporaryHome("store-valid")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let sender = try Sender(home: home, source: "forger")
        let running = Task { try await sender.sender.run() }
        try await Task.sleep(for: .milliseconds(500))
        let now = Date().timeIntervalSince1970
        let bad = DiaryEntry(
            recordedAt: now, via: "test", kind: .spasm,
            spasm: SpasmRecord(at: now, site: .leftCalf, type: .phasic, severity: 9))
        let good = DiaryEntry(
            recordedAt: now, via: "test", kind: .spasm,
            spasm: SpasmRecord(at: now, site: .leftCalf, type: .phasic, severity: 2))
        let episode = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .fall, sensorId: "wrist", site: nil, start: now,
            detectedAt: now, confidence: 7)
        let alert = Alert(kind: "fall", severity: .critical, groupKey: "fall", title: "", message: "forged", at: now)
        let refusedIds = [
            try await sender.sender.send(bad, topic: Topic.manualEntry, id: bad.entryId),
            try await sender.sender.send(episode, topic: Topic.episode("fall")),
            try await sender.sender.send(alert, topic: Topic.alert(.critical)),
        ]
        try await sender.sender.send(good, topic: Topic.manualEntry, id: good.entryId)
        #expect(
            await waitUntil(30) { sender.counters["outbox.confirmed"] >= 1 },
            "the valid entry is receipted")
        #expect(await waitUntil(30) { store.stderr.contains("severity 9 is outside 1–3") }, "the refusal names the rule: \(store.stderr)")
        #expect(await waitUntil(30) { store.stderr.contains("confidence") && store.stderr.contains("title") })

        // Storage answers each refusal with a `refused` receipt: the outbox stops re-sending
        // those three and keeps them, with storage's reason, in its refused table.
        #expect(await waitUntil(30) { sender.counters["outbox.refused"] == 3 }, "three refusal receipts: \(sender.counters.snapshot)")
        #expect(try await sender.sender.outbox.pendingCount() == 0, "nothing left to re-send")
        #expect(try await sender.sender.resendDue() == 0, "a refused body is not re-sent")
        let refused = try await sender.sender.outbox.refused()
        #expect(Set(refused.map(\.id)) == Set(refusedIds))
        #expect(
            refused.contains { $0.type == DiaryEntry.messageType && $0.reason.contains("severity 9 is outside 1–3") },
            "the refusal keeps storage's reason: \(refused.map(\.reason))")
        #expect(refused.allSatisfy { !$0.body.isEmpty }, "the refused message itself is kept")

        // Sent again with the same id (an old sender, a lost refusal): refused again, but
        // counted once.
        let again = try #require(refused.first { $0.type == DiaryEntry.messageType })
        try sender.publisher.publishEncoded(
            topic: again.topic, type: again.type, id: again.id, person: again.person,
            bodyJSON: again.body, payload: nil)
        #expect(await waitUntil(30) { sender.counters["outbox.refused_again"] >= 1 }, "the repeat is answered too")

        // The counters, from the store's heartbeat.
        var counters: [String: Int64] = [:]
        #expect(
            try await waitUntil(60) {
                let tail = try ChildProcess(
                    "spasmwatch", ["tail", "heartbeat.spasmwatch-store", "--count", "1", "--json", "--seconds", "30"], home: home)
                guard await tail.wait(timeout: 40) == 0, let line = tail.stdout.split(separator: "\n").first,
                    let beat = try? WireCodec.decode(Heartbeat.self, from: Data(line.utf8))
                else { return false }
                counters = beat.body.counters
                return counters["store.refused_again", default: 0] >= 1
            }, "storage saw the repeat: \(counters)")
        #expect(counters["rejected.\(DiaryEntry.messageType)"] == 1)
        #expect(counters["rejected.\(EpisodeEvent.messageType)"] == 1)
        #expect(counters["rejected.\(Alert.messageType)"] == 1)

        // `spasmwatch status` says so, with the latest reason.
        let status = try ChildProcess("spasmwatch", ["status", "--listen", "1"], home: home)
        _ = await status.wait(timeout: 60)
        #expect(status.stdout.contains("3 messages refused by storage"), "\(status.stdout)")
        #expect(status.stdout.contains("latest:"), "\(status.stdout)")

        let db = try DatabaseQueue(path: home.appendingPathComponent("data/spasmwatch.sqlite").path)
        #expect(
            try await db.read { try String.fetchAll($0, sql: "SELECT entryId FROM diary_entry") }.map { $0.lowercased() }
                == [good.entryId.uuidString.lowercased()])
        #expect(try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM episode") } == 0)
        #expect(try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM alert") } == 0)

        running.cancel()
        _ = try? await running.value
        await sender.close()
        await store.stop()
        await bus.stop()
    }
}
