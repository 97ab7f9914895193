import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing

/// The `spasmwatch` command line as a new user meets it: which data home it uses (never the
/// working directory), `setup caregiver` writing notify.json, `notify test` through the
/// running service, and the warnings of `status`. Real processes, a real bus, real HTTP.
@Suite("CLI home, caregiver setup, notify test", .serialized)
struct CLIHomeAndSetupTests {
    typealias TestBus = NotifyProcessTests.TestBus
    static let noCaregiver = "No caregiver is set up: a fall reaches only you."

    static func eventually(_ timeout: Double = 30, _ condition: () -> Bool) async -> Bool {
        await NotifyProcessTests.eventually(timeout, condition)
    }

    /// A place to run from, and an environment without SPASMWATCH_HOME (empty counts as
    /// unset), with its own XDG_DATA_HOME and HOME.
    struct NoHome {
        let root: URL
        var workingDirectory: URL { root.appendingPathComponent("somewhere") }
        var dataHome: URL { root.appendingPathComponent("xdg") }
        var perUserHome: URL { dataHome.appendingPathComponent("spasmwatch") }
        var environment: [String: String] {
            ["SPASMWATCH_HOME": "", "XDG_DATA_HOME": dataHome.path, "HOME": root.appendingPathComponent("user").path]
        }

        init() throws {
            root = try TestSupport.temporaryHome("cli-nohome")
            try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
        }

        func run(_ arguments: [String]) async throws -> ChildProcess {
            // ChildProcess runs in the folder it is given as `home` and sets SPASMWATCH_HOME
            // to it; the environment here empties SPASMWATCH_HOME again.
            let child = try ChildProcess("spasmwatch", arguments, home: workingDirectory, environment: environment)
            #expect(await child.wait(timeout: 60) != nil, "spasmwatch \(arguments.joined(separator: " ")) ended")
            return child
        }
    }

    static let installedHomeExists = FileManager.default.fileExists(atPath: "/var/lib/spasmwatch")

    /// Seen: without SPASMWATCH_HOME, `spasmwatch log` wrote into ./.spasmwatch of whatever
    /// folder the shell was in and printed "saved"; the entry never arrived.
    @Test(.disabled(if: installedHomeExists, "/var/lib/spasmwatch exists here: the CLI would rightly use it"))
    func withoutAHomeNothingIsWrittenAndTheCommandSaysWhichHome() async throws {
        let place = try NoHome()
        defer { try? FileManager.default.removeItem(at: place.root) }

        let log = try await place.run(["log", "spasm", "--site", "left-calf", "--type", "tonic", "--severity", "2"])
        #expect(log.process.terminationStatus == 2)
        #expect(!log.stdout.contains("saved"), "nothing was saved: \(log.stdout)")
        #expect(log.stderr.contains("no SpasmWatch home at \(place.perUserHome.path) (the per-user default)"), "\(log.stderr)")
        #expect(log.stderr.contains("deploy/stack up"))
        #expect(
            !FileManager.default.fileExists(atPath: place.workingDirectory.appendingPathComponent(".spasmwatch").path),
            "no home in the working directory")
        #expect(!FileManager.default.fileExists(atPath: place.perUserHome.path), "no home created silently")

        let status = try await place.run(["status", "--listen", "0.5"])
        #expect(status.process.terminationStatus == 2)
        #expect(status.stderr.contains("so none is running"))

        // Once the per-user home exists, commands use it and say so, and that nothing runs there.
        try FileManager.default.createDirectory(at: place.perUserHome, withIntermediateDirectories: true)
        let again = try await place.run(["log", "spasm", "--site", "left-calf", "--type", "tonic", "--severity", "2"])
        #expect(again.process.terminationStatus == 0, "\(again.stderr)")
        #expect(again.stderr.contains("home \(place.perUserHome.path) (the per-user default"), "\(again.stderr)")
        #expect(again.stderr.contains("SpasmWatch is not running on home \(place.perUserHome.path)"))
        #expect(
            FileManager.default.fileExists(atPath: place.perUserHome.appendingPathComponent("data/outbox-manual.sqlite").path),
            "the entry waits in that home's outbox")
        #expect(!FileManager.default.fileExists(atPath: place.workingDirectory.appendingPathComponent(".spasmwatch").path))
    }

    /// An explicit home may be created, and the command says so.
    @Test func anExplicitHomeIsCreatedAndTheCommandSaysSo() async throws {
        let place = try NoHome()
        defer { try? FileManager.default.removeItem(at: place.root) }
        let chosen = place.root.appendingPathComponent("chosen")
        let status = try await place.run(["status", "--listen", "0.5", "--home", chosen.path])
        #expect(status.stderr.contains("created home \(chosen.path) (from --home)"), "\(status.stderr)")
        #expect(FileManager.default.fileExists(atPath: chosen.appendingPathComponent("data").path))
        #expect(status.stdout.contains("SpasmWatch is not running on home \(chosen.path)"), "status says so at the top: \(status.stdout)")
        #expect(status.process.terminationStatus == 1, "services missing")
        #expect(!FileManager.default.fileExists(atPath: place.perUserHome.path))

        let viaEnvironment = place.root.appendingPathComponent("from-env")
        let child = try ChildProcess(
            "spasmwatch", ["notify", "test", "--dry-run"], home: place.workingDirectory,
            environment: place.environment.merging(["SPASMWATCH_HOME": viaEnvironment.path]) { $1 })
        #expect(await child.wait(timeout: 60) == 0, "\(child.stderr)")
        #expect(child.stderr.contains("created home \(viaEnvironment.path) (from $SPASMWATCH_HOME)"))
    }

    static func rules(_ home: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: home.appendingPathComponent("notify.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func setup(_ arguments: [String], home: URL) async throws -> ChildProcess {
        let child = try ChildProcess("spasmwatch", ["setup", "caregiver"] + arguments, home: home)
        #expect(await child.wait(timeout: 60) != nil)
        return child
    }

    /// Seen: with no notify.json a fall reached only the person. `setup caregiver` writes
    /// the rules; a real notify then sends the caregiver the ntfy request after the delay.
    @Test func aCaregiverSetUpWithNtfyGetsTheFallAfterTheDelay() async throws {
        let home = try TestSupport.temporaryHome("cli-caregiver")
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try await TinyHTTPServer()
        defer { server.stop() }
        let topic = "http://127.0.0.1:\(server.port)/anna-sw"

        let setup = try await Self.setup(["anna", "--ntfy", topic, "--after", "3s", "--header", "Authorization: Bearer tk_anna"], home: home)
        #expect(setup.process.terminationStatus == 0, "\(setup.stderr)")
        #expect(setup.stdout.contains("A fall is now told to:"))
        let lines = setup.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("me") && $0.contains("at once") && $0.contains("console") })
        #expect(lines.contains { $0.contains("anna") && $0.contains("after 3 seconds if nobody answered") && $0.contains(topic) })
        #expect(!setup.stdout.contains("not on your home network"), "127.0.0.1 is at home")
        #expect(!setup.stdout.contains(Self.noCaregiver))

        let file = home.appendingPathComponent("notify.json")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let rules = try Self.rules(home)
        let receivers = try #require(rules["receivers"] as? [[String: Any]])
        let anna = try #require(receivers.first { $0["name"] as? String == "anna" })
        let channel = try #require((anna["channels"] as? [[String: Any]])?.first)
        #expect(channel["type"] as? String == "webhook" && channel["format"] as? String == "ntfy" && channel["url"] as? String == topic)
        #expect(receivers.contains { $0["name"] as? String == "me" && $0["isPerson"] as? Bool == true }, "the standard person is kept")
        let routes = try #require(rules["routes"] as? [[String: Any]])
        #expect(routes.count == 2)
        #expect((routes[0]["match"] as? [String: Any])?["severities"] as? [String] == ["critical"])
        #expect(routes[0]["receivers"] as? [String] == ["me", "anna"])
        #expect(routes[0]["escalateAfterSeconds"] as? Double == 3)
        #expect(routes[1]["receivers"] as? [String] == ["me"], "everything else still goes to the person")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: home.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "the temporary file was renamed")

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", ["--set", "expectedServices=spasmwatch-bus"], home: home)
        #expect(await notify.waitForOutput("started"))
        let client = try TestBus(home: home, prefixes: [Topic.deliveryPrefix])
        defer { client.close() }
        let fall = NotifyProcessTests.fall()
        #expect(
            await Self.eventually {
                try? client.publish(fall)
                return notify.stdout.contains("NOTIFY me:")
            }, "the person is told at once")
        #expect(await Self.eventually { !server.received.isEmpty }, "anna's ntfy topic got the fall")
        // When notify itself says it told each (its delivery reports), not when this test looked.
        let sent = { (receiver: String) in
            client.messages("delivery.").compactMap { try? $0.decode(Delivery.self).body }
                .first { $0.receiver == receiver && $0.outcome == .sent && $0.alertIds == [fall.alertId] }
        }
        #expect(await Self.eventually { sent("me") != nil && sent("anna") != nil })
        let toMe = try #require(sent("me"))
        let toAnna = try #require(sent("anna"))
        #expect(toAnna.at - toMe.at >= 2.9, "anna was told after the 3 s wait, not at once (\(toAnna.at - toMe.at) s)")

        let request = try #require(server.received.first)
        #expect(request.method == "POST")
        #expect(request.path == "/anna-sw")
        #expect(request.headers["priority"] == "5", "urgent")
        #expect(request.headers["authorization"] == "Bearer tk_anna", "an ntfy server with access control lets it in")
        #expect(request.headers["title"]?.lowercased().contains("fall") == true, "title: \(request.headers["title"] ?? "none")")
        let tags = (request.headers["tags"] ?? "").split(separator: ",").map(String.init)
        #expect(tags.contains("rotating_light") && tags.contains("fall") && tags.contains("escalation"), "tags: \(tags)")
        #expect(request.headers["content-type"]?.hasPrefix("text/plain") == true)
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body.contains("fall"), "body: \(body)")
        #expect(body.contains("spasmwatch ack \(fall.alertId.uuidString.lowercased().prefix(8))"), "body: \(body)")
        #expect(server.received.count == 1, "one request for one fall")
        await notify.stop()
        await bus.stop()
    }

    /// What is in notify.json stays: other receivers, routes and settings, unknown keys; a
    /// second caregiver is told after the first; the same name again updates, never doubles.
    @Test func setupCaregiverKeepsWhatIsThereAndRefusesWhatIsWrong() async throws {
        let home = try TestSupport.temporaryHome("cli-caregiver-keep")
        defer { try? FileManager.default.removeItem(at: home) }
        let original = """
            {"receivers": [{"name": "sam", "isPerson": true, "channels": [{"type": "console"}]},
                           {"name": "nurse", "channels": [{"type": "file", "path": "logs/nurse.jsonl"}]}],
             "routes": [{"match": {"kinds": ["tonic"]}, "receivers": ["sam", "nurse"]},
                        {"match": {"severities": ["critical"]}, "receivers": ["sam"], "escalateAfterSeconds": 60},
                        {"receivers": ["sam"]}],
             "quietHours": {"start": "22:30", "end": "07:00"}, "names": {"me": "Sam"}, "comment": "kept as it is"}
            """
        try original.write(to: home.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)

        let first = try await Self.setup(["anna", "--webhook", "https://example.com/hook"], home: home)
        #expect(first.process.terminationStatus == 0, "\(first.stderr)")
        #expect(first.stdout.contains("warning: example.com is not on your home network"), "\(first.stdout)")
        #expect(first.stdout.split(separator: "\n").contains { $0.contains("anna") && $0.contains("after 60 seconds if nobody answered") })
        let second = try await Self.setup(["ben", "--command", "/bin/echo 'to ben'", "--after", "2m"], home: home)
        #expect(second.process.terminationStatus == 0, "\(second.stderr)")
        #expect(
            second.stdout.split(separator: "\n").contains { $0.contains("ben") && $0.contains("after 4 minutes if nobody answered") },
            "--after is the wait between steps: ben is the second step")
        let update = try await Self.setup(["anna", "--ntfy", "https://ntfy.sh/anna-7f3k9q"], home: home)
        #expect(update.process.terminationStatus == 0, "\(update.stderr)")
        #expect(update.stdout.contains("warning: ntfy.sh is not on your home network"))

        let rules = try Self.rules(home)
        #expect(rules["comment"] as? String == "kept as it is")
        #expect((rules["quietHours"] as? [String: String]) == ["start": "22:30", "end": "07:00"])
        #expect((rules["names"] as? [String: String]) == ["me": "Sam"])
        let receivers = try #require(rules["receivers"] as? [[String: Any]])
        #expect(receivers.map { $0["name"] as? String } == ["sam", "nurse", "anna", "ben"])
        let anna = try #require(receivers.first { $0["name"] as? String == "anna" }?["channels"] as? [[String: Any]])
        #expect(anna.count == 1 && anna[0]["url"] as? String == "https://ntfy.sh/anna-7f3k9q" && anna[0]["format"] as? String == "ntfy")
        let ben = try #require(receivers.first { $0["name"] as? String == "ben" }?["channels"] as? [[String: Any]])
        #expect(ben.first?["command"] as? [String] == ["/bin/echo", "to ben"])
        let routes = try #require(rules["routes"] as? [[String: Any]])
        #expect(routes.count == 3)
        #expect(routes[0]["receivers"] as? [String] == ["sam", "nurse"], "other routes untouched")
        #expect(routes[1]["receivers"] as? [String] == ["sam", "anna", "ben"], "caregivers after the person, in order")
        #expect(routes[1]["escalateAfterSeconds"] as? Double == 120)

        // Wrong input: a clear error, and the file is not touched.
        let before = try Data(contentsOf: home.appendingPathComponent("notify.json"))
        let badAfter = try await Self.setup(["carl", "--webhook", "http://10.0.0.2/x", "--after", "10x"], home: home)
        #expect(badAfter.process.terminationStatus != 0)
        #expect(badAfter.stderr.contains("--after 10x: expected a duration such as 90s, 2m or 1m30s"), "\(badAfter.stderr)")
        let person = try await Self.setup(["sam", "--webhook", "http://10.0.0.2/x"], home: home)
        #expect(person.process.terminationStatus != 0)
        #expect(person.stderr.contains("'sam' is the person the alerts are about"), "\(person.stderr)")
        let header = try await Self.setup(["carl", "--webhook", "http://10.0.0.2/x", "--header", "no colon"], home: home)
        #expect(header.stderr.contains("--header no colon: expected \"Name: value\""), "\(header.stderr)")
        let two = try await Self.setup(["carl", "--webhook", "http://10.0.0.2/x", "--ntfy", "http://10.0.0.2/y"], home: home)
        #expect(two.stderr.contains("give exactly one of --ntfy URL, --webhook URL or --command CMD"))
        #expect(try Data(contentsOf: home.appendingPathComponent("notify.json")) == before)

        try "{\"receivers\": [".write(to: home.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
        let broken = try await Self.setup(["carl", "--webhook", "http://10.0.0.2/x"], home: home)
        #expect(broken.process.terminationStatus != 0)
        #expect(broken.stderr.contains("nothing was changed"), "\(broken.stderr)")
        #expect(try String(contentsOf: home.appendingPathComponent("notify.json"), encoding: .utf8) == "{\"receivers\": [")
    }

    /// Seen: `notify test` said "ok" from the file while the running service sent nothing.
    /// Now it goes through the running service and reports what each receiver really got.
    @Test func notifyTestGoesThroughTheRunningServiceAndReportsEachReceiver() async throws {
        let home = try TestSupport.temporaryHome("cli-notify-test")
        defer { try? FileManager.default.removeItem(at: home) }
        let good = try await TinyHTTPServer()
        let bad = try await TinyHTTPServer { _ in 500 }
        defer {
            good.stop()
            bad.stop()
        }
        try NotifyProcessTests.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "console"}, {"type": "webhook", "url": "\(good.url)", "format": "ntfy"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(bad.url)", "maxAttempts": 2, "backoffSeconds": 0.2}]}],
             "routes": [{"match": {"severities": ["critical"]}, "receivers": ["me", "anna"]}, {"receivers": ["me"]}]}
            """, to: home)

        // Nothing runs: it says so and fails.
        let nothing = try ChildProcess("spasmwatch", ["notify", "test"], home: home)
        #expect(await nothing.wait(timeout: 60) == 2)
        #expect(nothing.stdout.contains("SpasmWatch is not running on home"), "\(nothing.stdout)")

        // The bus but no notify: the same, plainly.
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let noNotify = try ChildProcess("spasmwatch", ["notify", "test"], home: home)
        #expect(await noNotify.wait(timeout: 60) == 2)
        #expect(noNotify.stdout.contains("spasmwatch-notify is not running"), "\(noNotify.stdout)")
        #expect(noNotify.stdout.contains("nobody was told"))

        let notify = try ChildProcess("spasmwatch-notify", ["--set", "expectedServices=spasmwatch-bus"], home: home)
        #expect(await notify.waitForOutput("started"))
        for arguments in [["notify", "test"], ["notify", "test", "--via-bus"]] {
            let before = good.received.count
            let test = try ChildProcess("spasmwatch", arguments, home: home)
            #expect(await test.wait(timeout: 90) == 1, "anna's webhook fails: exit 1 (\(arguments)): \(test.stdout) \(test.stderr)")
            #expect(test.stdout.contains("sent    me via console"), "\(test.stdout)")
            #expect(test.stdout.contains("sent    me via webhook (ntfy) \(good.url)"))
            #expect(test.stdout.contains("FAILED  anna via webhook (json) \(bad.url): gave up after 2 attempts"), "\(test.stdout)")
            #expect(test.stdout.contains("HTTP 500"))
            #expect(!test.stdout.contains(Self.noCaregiver), "anna is a caregiver")
            #expect(good.received.count == before + 1, "the running service sent it")
            #expect(good.received.last?.headers["title"] == "SpasmWatch test")
        }
        #expect(await Self.eventually { notify.stdout.contains("NOTIFY me: [info] SpasmWatch test") }, "through notify's own console")

        // The file alone, as before.
        let dry = try ChildProcess("spasmwatch", ["notify", "test", "--dry-run"], home: home)
        #expect(await dry.wait(timeout: 60) == 1)
        #expect(dry.stdout.contains("ok      me via console"))
        #expect(dry.stdout.contains("FAILED  anna via webhook (json)"))

        // With no caregiver, both say so.
        try NotifyProcessTests.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "console"}]}], "routes": [{"receivers": ["me"]}]}
            """, to: home)
        let alone = try ChildProcess("spasmwatch", ["notify", "test", "--dry-run"], home: home)
        #expect(await alone.wait(timeout: 60) == 0)
        #expect(alone.stdout.contains(Self.noCaregiver))
        // The running service takes the new file within a second; the live test goes through
        // whatever rules it has then, so wait until it has them.
        #expect(await notify.waitForOutput("rules reloaded", timeout: 30), "notify took the new rules")
        let aloneLive = try ChildProcess("spasmwatch", ["notify", "test", "--wait", "10"], home: home)
        #expect(await aloneLive.wait(timeout: 60) != nil)
        #expect(aloneLive.stdout.contains(Self.noCaregiver), "\(aloneLive.stdout)")
        await notify.stop()
        await bus.stop()
    }

    /// `status` puts every `warning.*` of every service at the top, and the caregiver
    /// warning when notify reports no caregiver.
    @Test func statusShowsWarningsAtTheTop() async throws {
        let home = try TestSupport.temporaryHome("cli-status-warnings")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let client = try TestBus(home: home, prefixes: [])
        defer { client.close() }
        let status = try ChildProcess("spasmwatch", ["status", "--listen", "3", "--set", "expectedServices=spasmwatch-bus"], home: home)
        let beats = Task {
            while !Task.isCancelled {
                let notify = Heartbeat(
                    service: "spasmwatch-notify", instance: "notify", pid: 1, version: "0", uptimeSeconds: 5,
                    info: ["caregivers": "none", "rules": "notify.json, loaded 10:02"])
                let sensor = Heartbeat(
                    service: "spasmwatch-sensor", instance: "sensor", pid: 2, version: "0", uptimeSeconds: 5,
                    info: ["warning.clock": "Sensor ankle-r's clock is 2 hours ahead."])
                _ = try? client.publisher.publish(notify, topic: Topic.heartbeat("spasmwatch-notify"))
                _ = try? client.publisher.publish(sensor, topic: Topic.heartbeat("spasmwatch-sensor"))
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { beats.cancel() }
        #expect(await status.wait(timeout: 60) == 0, "\(status.stdout) \(status.stderr)")
        let lines = status.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let warnings = try #require(lines.firstIndex(of: "Warnings:"), "\(status.stdout)")
        let table = try #require(lines.firstIndex { $0.hasPrefix("SERVICE") })
        #expect(warnings < table, "warnings come first")
        let block = lines[warnings..<table].joined(separator: "\n")
        #expect(block.contains("\(Self.noCaregiver)  [spasmwatch-notify]"))
        #expect(block.contains("spasmwatch setup caregiver"))
        #expect(block.contains("Sensor ankle-r's clock is 2 hours ahead.  [spasmwatch-sensor]"))
        #expect(!lines[table...].contains { $0.contains("warning.clock") }, "not repeated among the info lines")
        await bus.stop()
    }
}
