import Foundation
import GRDB
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// Issue 12 §1–3: another local user reads nothing in a data home and cannot take over its
/// sockets, and saving detection's state leaves nothing in the temporary folder.
@Suite("Data home security", .serialized)
struct HomeSecurityProcessTests {
    static let isRoot = getuid() == 0

    /// Runs `command` as `nobody`; its exit status (0: nobody could do it).
    static func asNobody(_ command: String, _ path: String) async throws -> Int32? {
        let child = try ChildProcess("/usr/sbin/runuser", ["-u", "nobody", "--", command, path], home: URL(fileURLWithPath: "/"))
        return await child.wait(timeout: 20)
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func until(_ timeout: Double = 30, _ condition: () throws -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Runs deploy/stack with the test build. `start` is not waited for: the service it
    /// starts in the background keeps the pipe Foundation watches open.
    @discardableResult
    static func stack(_ arguments: [String], home: URL) async throws -> ChildProcess {
        let child = try ChildProcess(
            TestSupport.repositoryRoot.appendingPathComponent("deploy/stack").path, arguments, home: home,
            environment: ["SPASMWATCH_BIN": TestSupport.binDirectory.path])
        if arguments.first != "start" {
            #expect(await child.wait(timeout: 60) == 0, "deploy/stack \(arguments): \(child.stdout) \(child.stderr)")
        }
        return child
    }

    /// A home an older version made under umask 022 (0755 folders, a 0644 file), run by
    /// deploy/stack: the database, backups, outboxes, notifications.jsonl and logs end up
    /// owner-only, the log says it tightened the old home, and `nobody` can read none of it.
    @Test(.enabled(if: isRoot, "needs root: reads the home as another user with runuser -u nobody"))
    func anotherLocalUserReadsNothing() async throws {
        // The test home's parent (/tmp) lets anyone through: only the home's own modes protect it.
        let home = try TestSupport.temporaryHome("modes")
        defer { try? FileManager.default.removeItem(at: home) }
        let fm = FileManager.default
        for dir in ["data", "logs"] {
            try fm.createDirectory(at: home.appendingPathComponent(dir), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        chmod(home.path, 0o755)
        let old = home.appendingPathComponent("data/old-notes.txt")
        #expect(fm.createFile(atPath: old.path, contents: Data("an older diary note\n".utf8), attributes: [.posixPermissions: 0o644]))
        #expect(
            fm.createFile(
                atPath: home.appendingPathComponent("config.json").path,
                contents: Data(#"{"manual": {"httpPort": 0}, "sensor": {"httpPort": 0}}"#.utf8),
                attributes: [.posixPermissions: 0o644]))

        let logs = home.appendingPathComponent("logs")
        func log(_ name: String) -> String { (try? String(contentsOf: logs.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? "" }
        let services = ["spasmwatch-bus", "spasmwatch-store", "spasmwatch-manual", "spasmwatch-notify"]
        defer {  // whatever failed, nothing keeps running
            let down = try? ChildProcess(TestSupport.repositoryRoot.appendingPathComponent("deploy/stack").path, ["down"], home: home)
            down?.process.waitUntilExit()
        }
        var starters: [ChildProcess] = []  // kept: a ChildProcess kills its process when released
        for service in services {
            starters.append(try await Self.stack(["start", service], home: home))
            #expect(await Self.until { log(service).contains("] started") }, "\(service): \(log(service))")
        }
        #expect(await Self.until { log("spasmwatch-store").contains("store open") })

        let entry = try ChildProcess(
            "spasmwatch",
            [
                "log", "spasm", "--site", "left-calf", "--type", "tonic", "--severity", "2",
                "--note", "secret note",
            ], home: home)
        #expect(await entry.wait(timeout: 30) == 0, "\(entry.stdout) \(entry.stderr)")
        let test = try ChildProcess("spasmwatch", ["notify", "test"], home: home)
        _ = await test.wait(timeout: 60)
        let jsonl = logs.appendingPathComponent("notifications.jsonl")
        #expect(await Self.until(60) { fm.fileExists(atPath: jsonl.path) }, "notify test: \(test.stdout) \(test.stderr)")
        let backups = home.appendingPathComponent("data/backups")
        // A finished backup: while it is written it is a `.partial` file that is then renamed.
        #expect(
            await Self.until {
                let names = (try? fm.contentsOfDirectory(atPath: backups.path)) ?? []
                return names.contains { $0.hasPrefix("daily-") } && !names.contains { $0.hasSuffix(".partial") }
            })

        let allLogs = services.map(log).joined()
        #expect(allLogs.contains("files and folders to owner-only"), "no service said it tightened the older home")

        let data = home.appendingPathComponent("data")
        let outboxes = try fm.contentsOfDirectory(atPath: data.path).filter { $0.hasPrefix("outbox-") && $0.hasSuffix(".sqlite") }
        #expect(!outboxes.isEmpty)
        let backupFiles = try fm.contentsOfDirectory(atPath: backups.path).map { "data/backups/\($0)" }
        let files =
            [
                "data/spasmwatch.sqlite", "data/old-notes.txt", "config.json", "logs/notifications.jsonl",
                "logs/spasmwatch-bus.log", "logs/spasmwatch-store.log",
            ] + outboxes.map { "data/\($0)" } + backupFiles
        for file in files {
            let path = home.appendingPathComponent(file).path
            let mode = try Self.mode(path)
            #expect(mode & 0o077 == 0, "\(file) is \(String(mode, radix: 8))")
            #expect(try await Self.asNobody("/bin/cat", path) != 0, "nobody read \(file)")
        }
        let run = DataHome(root: home).runDirectory(Configuration().bus)
        for dir in [home, data, logs, backups, home.appendingPathComponent("keys"), home.appendingPathComponent("pids"), run] {
            let mode = try Self.mode(dir.path)
            #expect(mode == 0o700, "\(dir.path) is \(String(mode, radix: 8))")
            #expect(try await Self.asNobody("/bin/ls", dir.path) != 0, "nobody listed \(dir.path)")
        }
        try await Self.stack(["down"], home: home)
        #expect(starters.count == services.count)
    }

    /// With bus.groupAccess (the systemd install) the group shares data/ and the run
    /// directory (0770) and the sockets; other users still get nothing.
    @Test(.enabled(if: isRoot, "needs root: lists the home as another user with runuser -u nobody"))
    func groupAccessSharesWithTheGroupOnly() async throws {
        let home = try TestSupport.temporaryHome("modes-group")
        defer { try? FileManager.default.removeItem(at: home) }
        try #"{"bus": {"groupAccess": true}}"#.write(to: home.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"), "\(bus.stderr)")
        let run = home.appendingPathComponent("run")
        let data = home.appendingPathComponent("data")
        #expect(try Self.mode(run.path) == 0o770)
        #expect(try Self.mode(data.path) == 0o770)
        #expect(try Self.mode(run.appendingPathComponent("bus.lock").path) & 0o007 == 0)
        let socket = try Self.mode(run.appendingPathComponent("bus-in.sock").path)
        #expect(socket & 0o060 == 0o060 && socket & 0o007 == 0, "bus-in.sock is \(String(socket, radix: 8))")
        for dir in [home, run, data] {
            #expect(try Self.mode(dir.path) & 0o007 == 0)
            #expect(try await Self.asNobody("/bin/ls", dir.path) != 0, "nobody listed \(dir.path)")
        }
        await bus.stop()
    }

    /// The CLI will not talk through a run directory another user made and anyone can write.
    @Test(.enabled(if: isRoot, "needs root: makes a folder owned by nobody"))
    func theCLIRefusesARunDirectoryAnotherUserMade() async throws {
        let home = try TestSupport.temporaryHome("run-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        let planted = try TestSupport.temporaryHome("run-planted")
        defer { try? FileManager.default.removeItem(at: planted) }
        chmod(planted.path, 0o777)
        chown(planted.path, 65534, 65534)
        try (planted.path + "\n").write(to: home.appendingPathComponent("run.path"), atomically: false, encoding: .utf8)
        let cli = try ChildProcess("spasmwatch", ["recent"], home: home)
        #expect(await cli.wait(timeout: 30) != 0)
        #expect(cli.stderr.contains("refusing the run directory \(planted.path): it belongs to nobody"), "\(cli.stderr)")
    }

    /// A run directory someone else made (or anyone may write), or a symbolic link, is
    /// refused with a message that names it and says what is wrong.
    @Test(.enabled(if: isRoot, "needs root: makes a folder owned by nobody"))
    func aServiceRefusesARunDirectoryAnotherUserCouldTakeOver() async throws {
        let home = try TestSupport.temporaryHome("run-taken")
        defer { try? FileManager.default.removeItem(at: home) }
        let run = home.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        chmod(run.path, 0o777)
        chown(run.path, 65534, 65534)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.wait(timeout: 30) != 0)
        #expect(bus.stderr.contains("refusing the run directory \(run.path): it belongs to nobody"), "\(bus.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("bus-in.sock").path))

        chown(run.path, 0, 0)
        let open = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await open.wait(timeout: 30) != 0)
        #expect(open.stderr.contains("every local user can write to it (mode 777)"), "\(open.stderr)")

        try FileManager.default.removeItem(at: run)
        let elsewhere = try TestSupport.temporaryHome("run-elsewhere")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try FileManager.default.createSymbolicLink(at: run, withDestinationURL: elsewhere)
        let linked = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await linked.wait(timeout: 30) != 0)
        #expect(linked.stderr.contains("it is a symbolic link"), "\(linked.stderr)")
    }

    /// With a home path too long for socket paths, the run directory is a fresh mkdtemp
    /// folder recorded in run.path, not the predictable name another user made first; the
    /// CLI finds it there and reaches the bus.
    @Test func aLongHomeGetsAPrivateRunDirectoryTheCLIFinds() async throws {
        let parent = try TestSupport.temporaryHome("long")
        defer { try? FileManager.default.removeItem(at: parent) }
        let home = parent.appendingPathComponent(String(repeating: "a-very-long-folder-name-", count: 4))
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        // The name older versions used: someone else made it first, open to all.
        var hash: UInt64 = 1_469_598_103_934_665_603
        for byte in home.standardizedFileURL.path.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        let predictable = "/tmp/spasmwatch-\(getuid())-\(String(hash, radix: 36))"
        if Self.isRoot {
            mkdir(predictable, 0o777)
            chmod(predictable, 0o777)
            chown(predictable, 65534, 65534)
        }
        defer { rmdir(predictable) }

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"), "\(bus.stderr)")
        let record = home.appendingPathComponent("run.path")
        let path = try String(contentsOf: record, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Self.mode(record.path) == 0o600)
        #expect(path.hasPrefix("/tmp/spasmwatch-") && path != predictable, "\(path)")
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_uid == geteuid() && info.st_mode & 0o777 == 0o700)
        #expect(FileManager.default.fileExists(atPath: path + "/bus-out.sock"))
        defer { try? FileManager.default.removeItem(atPath: path) }

        // The CLI publishes through the recorded folder; a subscriber there receives it.
        let endpoints = Endpoints(home: DataHome(root: home), configuration: Configuration())
        #expect(endpoints.busSubscribe == "ipc://\(path)/bus-out.sock")
        let context = ZMQContext()
        let subscriber = try BusSubscriber(
            context: context, address: BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe),
            prefixes: ["alert."])
        try await Task.sleep(for: .milliseconds(500))  // let the subscription reach the bus
        let test = try ChildProcess("spasmwatch", ["notify", "test", "--via-bus"], home: home)
        _ = await test.wait(timeout: 30)
        var received = false
        let deadline = Date().addingTimeInterval(20)
        while !received && Date() < deadline {
            received = (subscriber.next(timeout: 0.2) ?? []).contains { $0.topic.hasPrefix("alert.") }
        }
        #expect(received, "the CLI's test alert did not reach the bus: \(test.stderr)")
        await subscriber.closeAsync()
        context.terminate()
        await bus.stop()
        #expect(bus.process.terminationStatus == 0)
    }

    /// Detection keeps what it learned in its SQLite file: saving leaves no
    /// TemporaryDirectory.* behind, and a restart keeps it.
    @Test func detectionStateSavesWithoutTemporaryFilesAndSurvivesARestart() async throws {
        let home = try TestSupport.temporaryHome("detect-state")
        defer { try? FileManager.default.removeItem(at: home) }
        // The processes' temporary folder: Foundation's .atomic writes made a folder here each save.
        let tmp = home.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let environment = ["TMPDIR": tmp.path]
        func leftovers() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("TemporaryDirectory.") }.count
        }
        let bus = try ChildProcess("spasmwatch-bus", home: home, environment: environment)
        #expect(await bus.waitForOutput("bus running"))
        let database = home.appendingPathComponent("data/detect-open-episodes.sqlite")

        /// Publishes a diary spasm until detection has saved it (a slow joiner misses the first).
        func recordSpasm(_ id: UUID) async throws -> Bool {
            let context = ZMQContext()
            let publisher = try BusPublisher(
                context: context, address: try BusAddress.resolve(home: DataHome(root: home), configuration: Configuration()),
                source: "test")
            let now = Date().timeIntervalSince1970
            let entry = DiaryEntry(
                entryId: id, recordedAt: now, via: "test", kind: .spasm,
                spasm: SpasmRecord(at: now, site: .leftCalf, type: .tonic, severity: 2))
            let saved = await Self.until(30) {
                try publisher.publish(entry, topic: Topic.manualEntry)
                return try Self.flareUpState(database).contains(id.uuidString)
            }
            await publisher.closeAsync()
            context.terminate()
            return saved
        }

        var detect = try ChildProcess("spasmwatch-detect", home: home, environment: environment)
        #expect(await detect.waitForOutput("detection ready"))
        let before = leftovers()
        let first = UUID()
        #expect(try await recordSpasm(first))
        #expect(leftovers() == before, "saving detection's state left TemporaryDirectory.* in \(tmp.path)")
        await detect.stop()

        detect = try ChildProcess("spasmwatch-detect", home: home, environment: environment)
        #expect(await detect.waitForOutput("detection ready"))
        let second = UUID()
        #expect(try await recordSpasm(second))
        let state = try Self.flareUpState(database)
        #expect(state.contains(first.uuidString), "the spasm recorded before the restart was lost")
        #expect(leftovers() == 0)
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("data/flare-up.json").path))
        await detect.stop()
        await bus.stop()
    }

    static func flareUpState(_ database: URL) throws -> String {
        guard FileManager.default.fileExists(atPath: database.path) else { return "" }
        let queue = try DatabaseQueue(path: database.path)
        let data = try queue.read { db in
            try Data.fetchOne(db, sql: "SELECT state FROM detect_state WHERE name = 'flare-up'")
        }
        return data.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? ""
    }
}
