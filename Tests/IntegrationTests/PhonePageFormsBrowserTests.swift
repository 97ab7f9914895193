import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing

/// The diary page's words and forgiving input, in real headless Chromium (issue 18, points
/// 6 and 7). Seen on main: PSFS 0–4 meant something only in a tooltip a phone never shows;
/// "Was this a spasm?" asked about a fall; the toast said "Saved ✓ spasm: …" with Undo far
/// down the page; a spasm could only be "now"; a refused dose emptied the name too; Yes/No
/// were 44 px and side by side.
@Suite("Phone page forms in a browser", .serialized)
struct PhonePageFormsBrowserTests {
    /// A bus, the manual service and a phone-sized Chromium on its page.
    struct Page {
        let home: URL
        let bus: ChildProcess
        let manual: ManualProcess
        let browser: ChildProcess
        let devtools: Int

        /// `settings`: the manual service's `--set`s; `browser`: chromium's environment (its
        /// locale and time zone) and extra arguments.
        static func open(
            _ label: String, settings: [String] = [], browser environment: [String: String] = [:], browserArguments: [String] = []
        ) async throws -> Page {
            let home = try TestSupport.temporaryHome(label)
            let bus = try ChildProcess("spasmwatch-bus", home: home)
            #expect(await bus.waitForOutput("bus running"))
            let manual = try await ManualProcess.start(home: home, arguments: settings.flatMap { ["--set", $0] })
            let devtools = SecondHost.freePort(on: "127.0.0.1")
            var arguments =
                [
                    "--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                    "--user-data-dir=\(home.appendingPathComponent("chromium").path)",
                    "--remote-debugging-port=\(devtools)", "--window-size=412,915",
                ] + browserArguments + [manual.pageURL]
            if getuid() == 0 { arguments.insert("--no-sandbox", at: 0) }
            let browser = try ChildProcess(PhonePageBrowserTests.chromium!, arguments, home: home, environment: environment)
            #expect(await browser.waitForOutput("DevTools listening on", timeout: 60))
            return Page(home: home, bus: bus, manual: manual, browser: browser, devtools: devtools)
        }

        /// Runs one driver step; its JSON line.
        func step(_ name: String, screenshot: String? = nil) async throws -> [String: Any] {
            let shot = screenshot.map { TestSupport.repositoryRoot.appendingPathComponent("screenshots/\($0).png").path }
            if shot != nil {
                try? FileManager.default.createDirectory(
                    at: TestSupport.repositoryRoot.appendingPathComponent("screenshots"),
                    withIntermediateDirectories: true)
            }
            let (status, output) = try await PhonePageBrowserTests.driver(devtools, "\(manual.base)/", name, screenshot: shot)
            #expect(status == 0, "driver \(name): \(output)")
            let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "driver \(name): \(output)")
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }

        func entries() async throws -> [[String: Any]] {
            try await http("GET", "\(manual.base)/api/entries?limit=100").json()["entries"] as? [[String: Any]] ?? []
        }

        func close() async {
            browser.signal(SIGKILL)
            await manual.process.stop()
            await bus.stop()
            try? FileManager.default.removeItem(at: home)
        }
    }

    static func entry(_ entries: [[String: Any]], _ id: String) -> [String: Any]? {
        entries.first { (($0["entry"] as? [String: Any])?["entryId"] as? String)?.lowercased() == id.lowercased() }
    }

    @Test(.enabled(if: PhonePageBrowserTests.unavailableReason == nil, "\(PhonePageBrowserTests.unavailableReason ?? "")"))
    func labelsSayWhatTheyMeanAndTheToastSaysWhatWasSaved() async throws {
        let page = try await Page.open("page-labels")
        defer {
            page.browser.signal(SIGKILL)
            try? FileManager.default.removeItem(at: page.home)
        }
        // A phasic spasm and a fall detected: only the spasm is asked about.
        let client = try NotifyProcessTests.TestBus(home: page.home, prefixes: [])
        defer { client.close() }
        let now = Date().timeIntervalSince1970
        let spasm = EpisodeEvent(
            episodeId: UUID(), phase: .end, kind: .phasic, sensorId: "calf-l", site: .leftCalf, start: now - 120,
            end: now - 118, detectedAt: now - 117, confidence: 0.9)
        let fall = EpisodeEvent(
            episodeId: UUID(), phase: .end, kind: .fall, sensorId: "wrist-l", site: .leftWrist, start: now - 60,
            end: now - 59, detectedAt: now - 58, confidence: 0.95)
        #expect(
            await HostileInputProcessTests.eventually(30) {
                _ = try? client.publisher.publish(spasm, topic: Topic.episode(spasm.kind.rawValue))
                _ = try? client.publisher.publish(fall, topic: Topic.episode(fall.kind.rawValue))
                let listed = (try? await http("GET", "\(page.manual.base)/api/episodes").json()["episodes"] as? [[String: Any]]) ?? []
                return listed.count == 2
            }, "the page's server heard both episodes")

        let labels = try await page.step("inspect-labels", screenshot: "phone-labels")
        let psfs = labels["psfs"] as? [[String: Any]] ?? []
        let meanings = ["none", "only when touched or moved", "less than once an hour", "once an hour or more", "more than 10 an hour"]
        #expect(psfs.count == 5)
        for (n, button) in psfs.enumerated() {
            let text = button["text"] as? String ?? ""
            #expect(text.hasPrefix("\(n)") && text.hasSuffix(meanings[n]), "PSFS \(n) says its meaning on the button: \(text)")
            #expect(button["title"] is NSNull || button["title"] == nil, "no tooltip: \(button)")
        }
        let episodes = labels["episodes"] as? [String] ?? []
        #expect(
            episodes.count == 1 && episodes.first?.lowercased().contains("phasic") == true,
            "\"Was this a spasm?\" lists the spasm, never the fall: \(episodes)")
        #expect(!episodes.contains { $0.lowercased().contains("fall") })

        // "Spasm now" in three taps: the toast says what was saved, Undo inside it; then Redo.
        let toast = try await page.step("spasm-toast", screenshot: "phone-toast")
        let entryId = try #require(toast["entryId"] as? String)
        let saved = toast["saved"] as? String ?? ""
        #expect(saved.hasPrefix("Saved: left calf, tonic, moderate, "), "the toast says what was saved: \(saved)")
        #expect(saved.range(of: #"\d{1,2}:\d{2}"#, options: .regularExpression) != nil, "and when: \(saved)")
        #expect(toast["undoInToast"] as? String == "Undo", "Undo is in the toast: \(toast)")
        #expect((toast["undone"] as? String)?.hasPrefix("Undone: left calf, tonic, moderate") == true, "\(toast)")
        #expect(toast["redoLabel"] as? String == "Redo", "an undo can be undone: \(toast)")
        #expect((toast["back"] as? String)?.hasPrefix("Back: left calf, tonic, moderate") == true, "\(toast)")
        // After the redo the entry is in the diary again, not undone.
        let listed = try #require(Self.entry(try await page.entries(), entryId), "the spasm is listed")
        #expect(listed["retracted"] as? Bool == false, "redo put it back: \(listed)")
        await page.close()
    }

    /// Seen on main: the toast read "Saved: left calf, tonic, moderate, 08:54 PM", the
    /// browser's own format in the browser's own zone. It says the entry's time on the home's
    /// clock, 24-hour, as the CLI's saved lines do: here the home is in Tokyo and the phone
    /// in Los Angeles with a 12-hour US locale, and the spasm was 10 minutes ago.
    @Test(.enabled(if: PhonePageBrowserTests.unavailableReason == nil, "\(PhonePageBrowserTests.unavailableReason ?? "")"))
    func theToastSaysTheEntrysTimeOnTheHomesClock() async throws {
        let page = try await Page.open(
            "page-home-time", settings: ["timeZone=Asia/Tokyo"],
            browser: ["TZ": "America/Los_Angeles", "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"], browserArguments: ["--lang=en-US"])
        defer {
            page.browser.signal(SIGKILL)
            try? FileManager.default.removeItem(at: page.home)
        }
        let home = HomeClock(timeZone: try #require(TimeZone(identifier: "Asia/Tokyo")))
        func stored(_ id: String) async throws -> Double {
            try #require(Self.entry(try await page.entries(), id)?["at"] as? Double, "entry \(id) listed")
        }

        let earlier = try await page.step("spasm-earlier-toast")
        let earlierId = try #require(earlier["entryId"] as? String)
        let at = try await stored(earlierId)
        #expect(at < Date().timeIntervalSince1970 - 500, "logged for 10 minutes ago: \(at)")
        #expect(
            earlier["saved"] as? String == "Saved: left calf, tonic, moderate, \(home.describe(at))",
            "the entry's time, on the home's clock: \(earlier)")
        let recent = earlier["recent"] as? [String] ?? []
        #expect(
            recent.contains { $0.hasPrefix("\(home.describe(at)) · \(earlierId.prefix(8))") },
            "the recent list shows the home's time too: \(recent)")
        #expect(!recent.contains { $0.contains("AM") || $0.contains("PM") }, "24-hour: \(recent)")

        // "Now", then Undo and Redo: every toast names the same home time.
        let toast = try await page.step("spasm-toast")
        let entryId = try #require(toast["entryId"] as? String)
        let time = home.describe(try await stored(entryId))
        #expect(time.range(of: #"^\d{2}:\d{2}$"#, options: .regularExpression) != nil || time.hasPrefix("yesterday "), "\(time)")
        #expect(toast["saved"] as? String == "Saved: left calf, tonic, moderate, \(time)", "\(toast)")
        #expect(toast["undone"] as? String == "Undone: left calf, tonic, moderate, \(time)", "\(toast)")
        #expect(toast["back"] as? String == "Back: left calf, tonic, moderate, \(time)", "\(toast)")
        await page.close()
    }

    @Test(.enabled(if: PhonePageBrowserTests.unavailableReason == nil, "\(PhonePageBrowserTests.unavailableReason ?? "")"))
    func aSpasmForEarlierARefusedDoseAndYesNoBigAndApart() async throws {
        let page = try await Page.open("page-forgiving")
        defer {
            page.browser.signal(SIGKILL)
            try? FileManager.default.removeItem(at: page.home)
        }

        // "10 min ago" and "at 07:15": the entry's time is that time, on the server too.
        let before = Date().timeIntervalSince1970
        let earlier = try await page.step("spasm-earlier", screenshot: "phone-earlier")
        let ten = try #require(earlier["tenMinutes"] as? [String: Any])
        let at = try #require(earlier["atTime"] as? [String: Any])
        let tenAt = ten["at"] as? Double ?? 0
        #expect(tenAt <= before - 590 && tenAt >= before - 700, "10 minutes ago: \(tenAt) against \(before)")
        #expect(at["at"] as? Double == at["expected"] as? Double, "at 07:15: \(at)")
        #expect(earlier["whenAfterSaving"] as? String == "now", "the next spasm is \"now\" again")
        let entries = try await page.entries()
        for (id, expected) in [(ten["entryId"] as? String ?? "", tenAt), (at["entryId"] as? String ?? "", at["expected"] as? Double ?? 0)] {
            let stored = try #require(Self.entry(entries, id), "entry \(id) listed")
            let storedAt = try #require(stored["at"] as? Double)
            #expect(abs(storedAt - expected) < 5, "the entry's time is the time chosen: \(storedAt) vs \(expected)")
        }

        // A dose the server refuses: the toast says why; the name and dose keep what was typed.
        let refused = try await page.step("med-refused", screenshot: "phone-refused")
        #expect((refused["toast"] as? String)?.contains("zz") == true, "the server's reason: \(refused)")
        #expect(refused["name"] as? String == "baclofen", "the name is kept: \(refused)")
        #expect(refused["dose"] as? String == "10 zz", "the dose is kept to be corrected: \(refused)")

        // Yes/No on an episode: at least 64 px each, and apart.
        let client = try NotifyProcessTests.TestBus(home: page.home, prefixes: [])
        defer { client.close() }
        let now = Date().timeIntervalSince1970
        let episode = EpisodeEvent(
            episodeId: UUID(), phase: .end, kind: .clonus, sensorId: "ankle-r", site: .rightAnkle, start: now - 30,
            end: now - 20, detectedAt: now - 19, confidence: 0.9, dominantFrequencyHz: 6)
        #expect(
            await HostileInputProcessTests.eventually(30) {
                _ = try? client.publisher.publish(episode, topic: Topic.episode(episode.kind.rawValue))
                return ((try? await http("GET", "\(page.manual.base)/api/episodes").json()["episodes"] as? [[String: Any]]) ?? []).count == 1
            })
        let labels = try await page.step("inspect-labels", screenshot: "phone-episode")
        let answers = labels["answers"] as? [[String: Any]] ?? []
        #expect(answers.compactMap { $0["label"] as? String } == ["Yes", "No"], "\(answers)")
        for b in answers {
            #expect((b["height"] as? Double ?? 0) >= 64 && (b["width"] as? Double ?? 0) >= 64, "at least 64 px: \(b)")
        }
        if answers.count == 2 {
            let (yes, no) = (answers[0], answers[1])
            let horizontal = (no["left"] as? Double ?? 0) - (yes["right"] as? Double ?? 0)
            let vertical = (no["top"] as? Double ?? 0) - (yes["bottom"] as? Double ?? 0)
            #expect(max(horizontal, vertical) >= 16, "Yes and No are apart: \(horizontal) px across, \(vertical) px down")
        }
        await page.close()
    }
}
