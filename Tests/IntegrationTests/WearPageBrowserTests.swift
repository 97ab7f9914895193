import Foundation
import SpasmBus
import SpasmConfig
import SpasmDetection
import SpasmReliability
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// "Wear this phone" in real headless Chromium: 3 minutes of a phone in a pocket
/// (../shared/eval/devices/p_pocket.csv, 1300–1480 s: a phasic spasm, a fall, a 1.3 s gap in
/// the recording, and a clonus) replayed in real time into the real page as DeviceMotionEvents
/// (deploy/dev/drive-wear-page.py), with the page's connection cut for 20 s in the middle.
/// The running stack must store the same episodes, by the scorer's rules, as
/// `spasmwatch-detect scan` finds in the excerpt, and every sample once. The recording is
/// read where it is (../shared says not to copy it into the project); without it the test
/// is skipped. `drive-wear-page.py … p_pocket.csv 0 1800` replays the whole file by hand.
@Suite("Wear this phone in a browser", .serialized)
struct WearPageBrowserTests {
    static let recording = TestSupport.sharedDirectory?.appendingPathComponent("eval/devices/p_pocket.csv")
    static var unavailableReason: String? {
        if let reason = PhonePageBrowserTests.unavailableReason { return reason }
        guard let recording, FileManager.default.fileExists(atPath: recording.path) else {
            return "../shared/eval/devices/p_pocket.csv is not present beside the repository (set SPASMWATCH_SHARED to its folder)"
        }
        return nil
    }
    static let excerpt = (start: 1300.0, end: 1480.0)

    @Test(.enabled(if: WearPageBrowserTests.unavailableReason == nil, "\(WearPageBrowserTests.unavailableReason ?? "")"))
    func theExcerptsEpisodesAreStoredThroughABlipWithNothingLostOrDoubled() async throws {
        let home = try TestSupport.temporaryHome("wear")
        defer { try? FileManager.default.removeItem(at: home) }
        let sensorPort = SecondHost.freePort(on: "127.0.0.1")
        try #"{"sensor": {"httpPort": \#(sensorPort)}}"#.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)

        // What the detector finds in the excerpt offline.
        let excerptFile = home.appendingPathComponent("excerpt.csv")
        var lines = ["t,ax,ay,az"]
        let recording = try Recording(contentsOf: Self.recording!)
        for (i, t) in recording.times.enumerated() where t >= Self.excerpt.start {
            if t >= Self.excerpt.end { break }
            lines.append(
                ([String(format: "%.3f", t - Self.excerpt.start)] + recording.values[(i * 3)..<(i * 3 + 3)].map { "\($0)" }).joined(separator: ","))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: excerptFile, atomically: true, encoding: .utf8)
        let scan = try ChildProcess("spasmwatch-detect", ["scan", excerptFile.path], home: home)
        #expect(await scan.wait(timeout: 60) == 0, "scan: \(scan.stderr)")
        let expected = EpisodeRow.read(csvText: scan.stdout)
        #expect(Set(expected.map(\.kind)).isSuperset(of: ["fall", "clonus"]), "the excerpt holds a fall and a clonus: \(scan.stdout)")

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected", timeout: 30))
        let detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await detect.waitForOutput("detection ready"))
        let manual = try await ManualProcess.start(home: home, arguments: ["--set", "manual.wearThisPhone=true"])

        let devtools = SecondHost.freePort(on: "127.0.0.1")
        var arguments = [
            "--headless=new", "--disable-gpu", "--no-first-run", "--user-data-dir=\(home.appendingPathComponent("chromium").path)",
            "--remote-debugging-port=\(devtools)", "--window-size=412,915", manual.pageURL,
        ]  // the token once: the cookie
        if getuid() == 0 { arguments.insert("--no-sandbox", at: 0) }
        let browser = try ChildProcess(PhonePageBrowserTests.chromium!, arguments, home: home)
        defer { browser.signal(SIGKILL) }
        #expect(await browser.waitForOutput("DevTools listening on", timeout: 60))

        let script = TestSupport.repositoryRoot.appendingPathComponent("deploy/dev/drive-wear-page.py").path
        let drive = try ChildProcess(
            PhonePageBrowserTests.python!,
            [
                script, "\(devtools)", manual.base, Self.recording!.path,
                "\(Self.excerpt.start)", "\(Self.excerpt.end)",
                "--blip-at", "60", "--blip-seconds", "60",
                "--rename", "My phone", "--move", "left-forearm",
            ], home: home)
        #expect(await drive.wait(timeout: 400) == 0, "driver: \(drive.stdout) \(drive.stderr)")
        let line = try #require(drive.stdout.split(separator: "\n").last { $0.hasPrefix("{") }, "driver: \(drive.stdout) \(drive.stderr)")
        let page = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let device = try #require(page["device"] as? String)
        let firstTime = try #require(page["firstTime"] as? Double)

        // Nothing lost: every sample the page measured was acknowledged, after the blip too.
        #expect(page["dispatched"] as? Int == page["rows"] as? Int)
        #expect(page["acked"] as? Int == page["samples"] as? Int, "\(page)")
        #expect(page["samples"] as? Int == page["dispatched"] as? Int, "\(page)")
        #expect(page["lost"] as? Int == 0, "\(page)")
        #expect((page["sockets"] as? Int ?? 0) >= 2, "the page opened its socket again after the blip: \(page)")
        let status = page["runningStatus"] as? String ?? ""
        #expect(status.hasPrefix("Connected, ") && status.hasSuffix(" Hz, 0 lost"), "the screen's line: \(status)")
        let lastEpisode = page["lastEpisode"] as? String ?? ""
        #expect(lastEpisode.hasPrefix("Last episode: ") && !lastEpisode.contains("none yet"), "the screen's last episode: \(lastEpisode)")
        let hz = Int(status.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect((50...70).contains(hz), "about 60 Hz: \(status)")

        // Nothing doubled: the uniform stream has as many samples as the excerpt's time span
        // (less its one real 1.3 s gap), and ingestion saw no frame out of order.
        let endpoints = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let listed = try await DeviceListProcessTests.list(home: home)
        let phone = try #require(listed.first { $0["sensorId"] as? String == device }, "\(listed)")
        #expect(phone["framesRejected"] as? Int == 0, "\(phone)")
        #expect(phone["device"] as? String == "phone")
        // Renamed and moved in the page's device list (its Rename prompt and site menu), after
        // the stream was worn at the right thigh; the list and the CLI both show it.
        let shown = page["listed"] as? [String: Any]
        #expect(shown?["name"] as? String == "My phone" && shown?["site"] as? String == "left-forearm", "\(page)")
        #expect(phone["name"] as? String == "My phone", "\(phone)")
        #expect(phone["placement"] as? String == "left-forearm", "\(phone)")
        #expect(phone["sampleRate"] as? Double == 60)

        // The stored episodes of the phone, in the excerpt's own time.
        let context = ZMQContext()
        defer { context.terminate() }
        var stored: [StoredEpisode] = []
        var counts: [String: EventScorer.Counts] = [:]
        let kinds = Set(expected.map(\.kind))
        var matched = false
        let deadline = Date().addingTimeInterval(60)
        while !matched && Date() < deadline {
            if !stored.isEmpty { try await Task.sleep(for: .seconds(1)) }
            let response = try? await StoreClient.query(StoreRequest(query: .episodes), context: context, endpoint: endpoints.storeQuery)
            stored = (response?.episodes ?? []).filter { $0.sensorId == device && $0.end != nil }
            counts = [:]
            let n = Int((Self.excerpt.end - Self.excerpt.start) * EventScorer.gridHz)
            for kind in kinds.union(stored.map(\.kind.rawValue)) {
                let reference = expected.filter { $0.kind == kind }.map { (start: $0.start, end: max($0.end, $0.start + 0.3)) }
                let hypothesis = stored.filter { $0.kind.rawValue == kind }.map { e in
                    (start: max(0, e.start - firstTime), end: max((e.end ?? e.start) - firstTime, e.start - firstTime + 0.3))
                }
                counts[kind] = EventScorer.score(reference: reference, hypothesis: hypothesis, numSamples: n)
            }
            matched = counts.values.allSatisfy { $0.tp == $0.refTrue && $0.fp == 0 }
            if stored.isEmpty { try await Task.sleep(for: .seconds(1)) }
        }
        #expect(stored.allSatisfy { $0.site == .rightThigh }, "detected while worn at the right thigh: \(stored.map(\.site))")
        #expect(
            matched,
            "stored \(stored.map { ($0.kind.rawValue, $0.start - firstTime, ($0.end ?? 0) - firstTime) }) vs scan \(expected.map { ($0.kind, $0.start, $0.end) }): \(counts)"
        )

        // And `spasmwatch history` lists each of them, the way the person sees it.
        let history = try ChildProcess("spasmwatch", ["history", "--since", "1d", "--kind", "episode"], home: home)
        #expect(await history.wait(timeout: 20) == 0, "\(history.stderr)")
        for episode in stored {
            let short = String(episode.episodeId.uuidString.lowercased().prefix(8))
            let line = history.stdout.split(separator: "\n").first { $0.contains(short) }
            #expect(line?.contains(episode.kind.rawValue) == true, "\(episode.kind.rawValue) \(short) in: \(history.stdout)")
        }

        print(
            "wear: page \(line); scan \(expected.map { "\($0.kind)@\(String(format: "%.1f", $0.start))" }); stored \(stored.map { "\($0.kind.rawValue)@\(String(format: "%.1f", $0.start - firstTime))" })"
        )
        for p in [manual.process, detect, sensor, store, bus] { await p.stop() }
    }

    /// Browsers apply no CORS to WebSockets: a page from another site must not be able to
    /// open the phone's socket, and without the diary's token nobody can.
    @Test func aForeignPageOrAMissingTokenCannotOpenThePhonesSocket() async throws {
        let home = try TestSupport.temporaryHome("wear-origin")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let manual = try await ManualProcess.start(
            home: home, arguments: ["--set", "manual.httpToken=wear-secret", "--set", "manual.wearThisPhone=true"])
        // Raw upgrade requests (python3, as the browser tests use): only the page's own origin with the token is upgraded.
        let probe = """
            import socket, sys
            port = int(sys.argv[1])
            for extra in sys.argv[2:]:
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall((f"GET /wear/socket HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n"
                           f"Sec-WebSocket-Version: 13\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n" + extra.replace("|", "\\r\\n") + "\\r\\n\\r\\n").encode())
                print(s.recv(200).split(b"\\r\\n")[0].decode())
                s.close()
            """
        let own = "Origin: \(manual.base)"
        let run = try ChildProcess(
            PhonePageBrowserTests.python ?? "/usr/bin/python3",
            [
                "-c", probe, "\(manual.port)", own, "Origin: http://evil.example|Authorization: Bearer wear-secret",
                "\(own)|Authorization: Bearer wear-secret",
            ], home: home)
        #expect(await run.wait(timeout: 30) == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(run.stdout)")
        #expect(lines.first?.contains(" 101 ") == false, "no token, no socket: \(lines)")
        #expect(lines.dropFirst().first?.contains(" 101 ") == false, "a foreign Origin is not upgraded: \(lines)")
        #expect(lines.last?.contains(" 101 ") == true, "the page's own origin with the token is: \(lines)")
        let page = try await http("GET", "\(manual.base)/wear", headers: ["Authorization": "Bearer wear-secret"])
        #expect(page.status == 200)
        #expect(String(decoding: page.body, as: UTF8.self).contains("Wear this phone"))
        await manual.process.stop()
        await bus.stop()
    }
}
