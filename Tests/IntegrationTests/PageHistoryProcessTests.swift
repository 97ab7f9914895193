import Foundation
import SpasmBus
import SpasmConfig
import SpasmReliability
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// What the page lists after a restart, and undo of an undo, with the real bus, store and
/// manual service (issue 18, points 7 and 8). Seen on main: after a restart of
/// spasmwatch-manual the page's episode and alert lists were empty, and an episode whose end
/// came while it was down never got one; `spasmwatch undo` of an undo left the entry undone.
@Suite("Page history and redo processes", .serialized)
struct PageHistoryProcessTests {
    let context = ZMQContext()

    func waitUntil(_ timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    func storeQuery(_ home: URL, _ request: StoreRequest) async throws -> StoreResponse {
        let endpoint = Endpoints(home: DataHome(root: home), configuration: Configuration()).storeQuery
        return try await StoreClient.query(request, context: context, endpoint: endpoint, timeoutSeconds: 10)
    }

    @Test func episodesAndAlertsSurviveARestartWithTheirEnd() async throws {
        let home = try TestSupport.temporaryHome("page-history")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        var manual = try await ManualProcess.start(home: home)
        let sender = try StoreProcessTests.Sender(home: home, source: "detect-itest")
        let running = Task { try await sender.sender.run() }

        // An onset the page hears; then the page's service is down when the end comes.
        let now = Date().timeIntervalSince1970
        let onset = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .clonus, sensorId: "ankle-r", site: .rightAnkle, start: now - 40,
            detectedAt: now - 38, confidence: 0.9)
        var end = onset
        end.phase = .end
        end.end = now - 25
        end.peak = 1.4
        end.dominantFrequencyHz = 6
        let warning = Alert(
            kind: "sensor-silent", severity: .warning, groupKey: "sensor-silent:ankle-r", title: "Sensor ankle-r is silent",
            message: "The sensor ankle-r has sent nothing for 30 s.", at: now - 20, sensorId: "ankle-r")
        _ = try await sender.sender.send(onset, topic: Topic.episode(onset.kind.rawValue))
        func listed() async -> [[String: Any]] {
            (try? await http("GET", "\(manual.base)/api/episodes").json()["episodes"] as? [[String: Any]]) ?? []
        }
        #expect(await waitUntil(30) { await listed().count == 1 }, "the page heard the onset")
        let heard = await listed()
        #expect((heard.first?["summary"] as? String)?.contains("ongoing") == true, "shown as ongoing: \(heard)")
        await manual.process.stop()

        _ = try await sender.sender.send(end, topic: Topic.episode(end.kind.rawValue))
        _ = try await sender.sender.send(warning, topic: Topic.alert(.warning), id: warning.alertId)
        #expect(try await waitUntil(30) { try await sender.sender.outbox.pendingCount() == 0 }, "storage has the end and the alert")

        // Restarted: the lists come from storage, the episode with its end.
        manual = try await ManualProcess.start(home: home)
        #expect(await waitUntil(30) { await listed().count == 1 }, "the episode is listed after the restart: \(manual.process.stderr)")
        let episode = try #require(await listed().first)
        let body = episode["episode"] as? [String: Any] ?? [:]
        #expect((body["episodeId"] as? String)?.lowercased() == onset.episodeId.uuidString.lowercased())
        #expect(abs((body["end"] as? Double ?? 0) - (end.end ?? 0)) < 0.001, "with its end: \(episode)")
        #expect((episode["summary"] as? String)?.contains("ongoing") == false, "not ongoing: \(episode)")
        let alerts = try await http("GET", "\(manual.base)/api/alerts").json()["alerts"] as? [[String: Any]] ?? []
        #expect(
            alerts.compactMap { ($0["alert"] as? [String: Any])?["alertId"] as? String }.map { $0.lowercased() }
                == [warning.alertId.uuidString.lowercased()], "the open alert is listed after the restart: \(alerts)")

        // Acknowledged elsewhere while the service was down: not listed after the next restart.
        await manual.process.stop()
        _ = try await sender.sender.send(
            Acknowledgement(alertId: warning.alertId, by: "anna", at: now, falseAlarm: false, via: "test"),
            topic: Topic.acknowledgement)
        #expect(try await waitUntil(30) { try await sender.sender.outbox.pendingCount() == 0 })
        manual = try await ManualProcess.start(home: home)
        #expect(await waitUntil(30) { await listed().count == 1 }, "the episode is listed again")
        let after = try await http("GET", "\(manual.base)/api/alerts").json()["alerts"] as? [[String: Any]] ?? []
        #expect(after.isEmpty, "an answered alert is not asked about again: \(after)")

        running.cancel()
        await sender.close()
        await manual.process.stop()
        await store.stop()
        await bus.stop()
    }

    @Test func undoOfAnUndoRestoresTheEntryInTheDiaryAndInStorage() async throws {
        let home = try TestSupport.temporaryHome("redo")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let manual = try await ManualProcess.start(home: home)

        func run(_ arguments: [String]) async throws -> String {
            let child = try ChildProcess("spasmwatch", arguments, home: home)
            #expect(await child.wait(timeout: 30) == 0, "spasmwatch \(arguments.joined(separator: " ")): \(child.stdout) \(child.stderr)")
            return child.stdout
        }
        let logged = try await run(["log", "spasm", "--site", "left-calf", "--type", "tonic", "--severity", "2"])
        let short = try #require(savedShortId(logged), "\(logged)")
        let undone = try await run(["undo"])
        let correction = try #require(
            undone.range(of: #"correction [0-9a-f]{8}"#, options: .regularExpression).map { String(undone[$0].suffix(8)) },
            "undo says its correction's id: \(undone)")
        func recent() async throws -> [RecentEntry] {
            try await run(["recent", "--json"]).split(separator: "\n").compactMap { try? JSONDecoder().decode(RecentEntry.self, from: Data($0.utf8)) }
        }
        #expect(try await recent().first { $0.shortId == short }?.retracted == true, "undone")

        // `spasmwatch undo` of the undo: the entry is back.
        let redo = try await run(["undo", correction])
        #expect(redo.contains("undo of \(correction)"), "\(redo)")
        let rows = try await recent()
        #expect(rows.first { $0.shortId == short }?.retracted == false, "the entry is back: \(rows.map { ($0.shortId, $0.summary, $0.retracted) })")
        #expect(rows.first { $0.shortId == correction }?.retracted == true, "its undo is undone")

        // Storage agrees, once the corrections are stored.
        #expect(
            try await waitUntil(30) {
                let entries = try await storeQuery(home, StoreRequest(query: .entries, includeCorrected: true)).entries ?? []
                return entries.count == 3
            }, "storage has the entry and both corrections")
        let effective = try await storeQuery(home, StoreRequest(query: .entries)).entries ?? []
        #expect(effective.map { ShortId.of($0.entry.entryId) } == [short], "storage's diary has the spasm again: \(effective)")

        // And undo once more (of the redo): undone again, everywhere.
        let third = try #require(redo.range(of: #"correction [0-9a-f]{8}"#, options: .regularExpression).map { String(redo[$0].suffix(8)) })
        _ = try await run(["undo", third])
        #expect(try await recent().first { $0.shortId == short }?.retracted == true, "undone again")
        #expect(
            try await waitUntil(30) {
                try await storeQuery(home, StoreRequest(query: .entries)).entries?.isEmpty == true
            }, "storage's diary leaves it out again")

        await manual.process.stop()
        await store.stop()
        await bus.stop()
    }
}
