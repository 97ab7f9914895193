import Foundation
import SpasmTestSupport
import Testing

/// `deploy/stack` against a temporary home, with the debug executables (SPASMWATCH_BIN, so
/// nothing is built): a service killed with -9, or a pid file naming a zombie or another
/// program, is started again; `up --supervise` brings a killed service back by itself; `up`
/// names the configured page and `down` finds the demo.
@Suite("deploy/stack restarts", .serialized)
struct StackScriptProcessTests {
    static let script = TestSupport.repositoryRoot.appendingPathComponent("deploy/stack").path

    /// Runs deploy/stack to completion; returns its exit status and output.
    func stack(_ arguments: [String], home: URL) async throws -> (Int32, String) {
        let run = try ChildProcess(
            "/bin/bash", [Self.script] + arguments, home: home,
            environment: ["SPASMWATCH_BIN": TestSupport.binDirectory.path, "SPASMWATCH_STOP_TIMEOUT": "5"])
        let status = await run.wait(timeout: 120)
        return (status ?? -1, run.stdout + run.stderr)
    }

    func pid(_ service: String, home: URL) -> Int32? {
        let text = try? String(contentsOf: home.appendingPathComponent("pids/\(service).pid"), encoding: .utf8)
        return text.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Alive and not a zombie, as /proc says.
    func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return state != "Z" && state != "X"
    }

    func waitUntil(_ timeout: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    @Test func startAfterKillNineOrAZombieReallyStarts() async throws {
        let home = try TestSupport.temporaryHome("stack-start")
        defer { try? FileManager.default.removeItem(at: home) }
        var (status, out) = try await stack(["start", "spasmwatch-bus"], home: home)
        #expect(status == 0, "\(out)")
        let first = try #require(pid("spasmwatch-bus", home: home))
        #expect(await waitUntil(10) { alive(first) })

        kill(first, SIGKILL)
        #expect(await waitUntil(10) { !alive(first) })
        (status, out) = try await stack(["start", "spasmwatch-bus"], home: home)
        #expect(status == 0, "\(out)")
        #expect(!out.contains("already running"), "\(out)")
        let second = try #require(pid("spasmwatch-bus", home: home))
        #expect(second != first)
        #expect(await waitUntil(10) { alive(second) })

        // A pid file naming a zombie (kill -0 succeeds on it) or another program (a reused pid).
        kill(second, SIGKILL)
        let zombie = try ChildProcess(
            "/usr/bin/python3",
            [
                "-c",
                """
                import os, sys, time
                child = os.fork()
                if child == 0:
                    os._exit(0)
                print(child, flush=True)
                time.sleep(600)
                """,
            ], home: home)
        #expect(await zombie.waitForOutput("\n"))
        let zombiePid = try #require(Int32(zombie.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await waitUntil(10) { (try? String(contentsOfFile: "/proc/\(zombiePid)/stat", encoding: .utf8))?.contains(") Z ") == true })
        #expect(kill(zombiePid, 0) == 0, "kill -0 succeeds on a zombie")
        var previous = second
        for impostor in [zombiePid, zombie.pid] {
            let gone = previous
            #expect(await waitUntil(10) { !alive(gone) })
            try "\(impostor)\n".write(to: home.appendingPathComponent("pids/spasmwatch-bus.pid"), atomically: false, encoding: .utf8)
            (status, out) = try await stack(["start", "spasmwatch-bus"], home: home)
            #expect(status == 0, "\(out)")
            #expect(!out.contains("already running"), "pid \(impostor): \(out)")
            let started = try #require(pid("spasmwatch-bus", home: home))
            #expect(started != impostor)
            #expect(await waitUntil(10) { alive(started) })
            previous = started
            if impostor == zombiePid { kill(started, SIGKILL) }
        }
        // And a live bus is left alone.
        (status, out) = try await stack(["start", "spasmwatch-bus"], home: home)
        #expect(out.contains("already running"), "\(out)")
        zombie.signal(SIGKILL)
        (status, out) = try await stack(["stop", "spasmwatch-bus"], home: home)
        #expect(status == 0, "\(out)")
    }

    @Test func superviseBringsAKilledServiceBack() async throws {
        let home = try TestSupport.temporaryHome("stack-supervise")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = 19_000 + Int.random(in: 0..<1000)
        try #"{"sensor": {"httpPort": \#(port)}, "manual": {"httpPort": \#(port + 1)}, "metrics": {"httpPort": \#(port + 2)}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        var (status, out) = try await stack(["up", "--supervise"], home: home)
        #expect(status == 0, "\(out)")
        let supervisor = try #require(pid("supervisor", home: home), "\(out)")
        #expect(alive(supervisor))
        let first = try #require(pid("spasmwatch-sensor", home: home))
        kill(first, SIGKILL)
        let log = home.appendingPathComponent("logs/supervisor.log")
        #expect(
            await waitUntil(30) {
                guard let now = pid("spasmwatch-sensor", home: home), now != first else { return false }
                return alive(now)
            }, "supervisor log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "none")")
        let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(logText.contains("spasmwatch-sensor is not running"), "\(logText)")
        #expect(logText.contains("restarting it"), "\(logText)")
        // A service stopped on purpose stays stopped.
        (status, out) = try await stack(["stop", "spasmwatch-detect"], home: home)
        #expect(status == 0, "\(out)")
        try await Task.sleep(for: .seconds(2))
        #expect(pid("spasmwatch-detect", home: home) == nil)
        // down stops the supervisor first, then everything.
        let services = ["spasmwatch-bus", "spasmwatch-store", "spasmwatch-sensor"].compactMap { pid($0, home: home) }
        (status, out) = try await stack(["down"], home: home)
        #expect(status == 0, "\(out)")
        #expect(out.contains("stopped the supervisor"), "\(out)")
        #expect(
            await waitUntil(10) { !alive(supervisor) && services.allSatisfy { !alive($0) } },
            "still there: \(([supervisor] + services).filter(alive).map { "\($0) \((try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8)) ?? "")" })"
        )
        try await Task.sleep(for: .seconds(2))
        #expect(pid("spasmwatch-sensor", home: home) == nil, "nothing restarted after down")
    }

    /// As a new user runs it: `up` names the page on the configured port, and `down` (no
    /// --demo) after `up --demo` stops the demo, saying so; with nothing running it says that
    /// instead of "stopped".
    @Test func upNamesTheConfiguredPageAndDownFindsTheDemo() async throws {
        let usual = try TestSupport.temporaryHome("stack-usual")
        let demo = try TestSupport.temporaryHome("stack-demo")
        defer {
            // Whatever a failed `down` left running goes too.
            for file in (try? FileManager.default.contentsOfDirectory(atPath: demo.appendingPathComponent("pids").path)) ?? [] {
                if let pid = pid(String(file.dropLast(4)), home: demo) { kill(pid, SIGKILL) }
            }
            try? FileManager.default.removeItem(at: usual)
            try? FileManager.default.removeItem(at: demo)
        }
        let sensorPort = SecondHost.freePort(on: "127.0.0.1")
        let pagePort = SecondHost.freePort(on: "127.0.0.1")
        let metricsPort = SecondHost.freePort(on: "127.0.0.1")
        try #"{"sensor": {"httpPort": \#(sensorPort)}, "manual": {"httpPort": \#(pagePort)}, "metrics": {"httpPort": \#(metricsPort)}}"#
            .write(to: demo.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        func run(_ arguments: [String]) async throws -> (Int32, String) {
            let run = try ChildProcess(
                "/bin/bash", [Self.script] + arguments, home: usual,
                environment: [
                    "SPASMWATCH_BIN": TestSupport.binDirectory.path, "SPASMWATCH_STOP_TIMEOUT": "5",
                    "SPASMWATCH_DEMO_HOME": demo.path,
                ])
            let status = await run.wait(timeout: 120)
            return (status ?? -1, run.stdout + run.stderr)
        }
        var (status, out) = try await run(["up", "--demo"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("diary page:     http://127.0.0.1:\(pagePort)/?token="), "\(out)")
        #expect(!out.contains(":8471/"), "\(out)")
        let bus = try #require(pid("spasmwatch-bus", home: demo), "\(out)")
        let store = try #require(pid("spasmwatch-store", home: demo), "\(out)")

        (status, out) = try await run(["down"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("the demo does: stopping it"), "\(out)")
        #expect(out.contains("SpasmWatch stopped ("), "\(out)")
        #expect(await waitUntil(15) { !alive(bus) && !alive(store) }, "\(out)")

        (status, out) = try await run(["down"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("Nothing was running on"), "\(out)")
        #expect(!out.contains("SpasmWatch stopped"), "\(out)")
    }
}
