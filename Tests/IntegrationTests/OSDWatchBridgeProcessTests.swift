import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// The OpenSeizureDetector watch bridge (examples/ble, issue 15 point 1). The radio cannot be
/// tested here: its Python unit tests use a fake BleakClient, and the process test runs the
/// bridge with that fake watch (`fake_watch.py`) against the real bus and sensor ingestion on
/// tcp with CURVE, with keys made by `spasmwatch keys new`, as from a Raspberry Pi, and storage.
@Suite("OSD watch bridge", .serialized)
struct OSDWatchBridgeProcessTests {
    static let folder = TestSupport.repositoryRoot.appendingPathComponent("examples/ble")

    @Test(.enabled(if: PythonProducer.available, "python3 with pyzmq is not installed (deploy/stack test installs it)"))
    func pythonUnitTestsPass() async throws {
        let home = try TestSupport.temporaryHome("osd-unit")
        defer { try? FileManager.default.removeItem(at: home) }
        let run = try ChildProcess(
            "/usr/bin/env", ["python3", "-m", "unittest", "discover", "-s", Self.folder.path, "-t", Self.folder.path],
            home: home)
        #expect(await run.wait(timeout: 300) == 0, "python3 -m unittest discover -s examples/ble: \(run.stderr)")
        #expect(run.stderr.contains("OK"), "\(run.stderr)")
    }

    @Test(.enabled(if: PythonProducer.available, "python3 with pyzmq is not installed (deploy/stack test installs it)"))
    func fakeWatchOverTcpIsStoredLearnsOfAFallAndReconnects() async throws {
        let home = try TestSupport.temporaryHome("osd-tcp")
        defer { try? FileManager.default.removeItem(at: home) }
        let context = ZMQContext()
        let ports = try (0..<4).map { _ in try KeyRolesProcessTests.freePort(context) }
        try """
        {"bus": {"transport": "tcp", "tcpPublishPort": \(ports[0]), "tcpSubscribePort": \(ports[1])},
         "sensor": {"producerTcpPort": \(ports[2]), "httpPort": \(ports[3])}}
        """.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        // What a person does on the hub: a producer key bound to the watch's sensor id, a
        // consumer key for the alerts, each saved from `keys show` into a private file.
        var keyFiles: [String] = []
        for (name, options) in [("watch-l", ["--role", "producer", "--sensor", "watch-l"]), ("watch-l-alerts", ["--role", "consumer"])] {
            let made = try ChildProcess("spasmwatch", ["keys", "new", name] + options, home: home)
            #expect(await made.wait(timeout: 30) == 0, "keys new: \(made.stderr)")
            let file = home.appendingPathComponent("\(name).key")
            try Data(made.stdout.utf8).write(to: file)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            keyFiles.append(file.path)
        }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        defer { bus.signal(SIGKILL) }
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        defer { sensor.signal(SIGKILL) }
        #expect(await sensor.waitForOutput("bus connected"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        defer { store.signal(SIGKILL) }
        #expect(await store.waitForOutput("started"))

        let watch = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", Self.folder.appendingPathComponent("fake_watch.py").path, "--seconds", "20", "--sessions", "2", "--battery", "87", "--",
                "--producer-key", keyFiles[0], "--consumer-key", keyFiles[1], "--host", "127.0.0.1",
                "--placement", "left-wrist", "--status-seconds", "1",
            ], home: home)
        defer { watch.signal(SIGKILL) }
        #expect(
            await watch.waitForOutput("streaming from the watch (OpenSeizureDetector, format 3, battery 87%)", timeout: 30),
            "bridge: \(watch.stderr)")
        // Frames arrive at ingestion as a watch, with its battery.
        var device: [String: Any]?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let list = try ChildProcess("spasmwatch", ["sensors", "--json"], home: home)
            _ = await list.wait(timeout: 20)
            let sensors = (try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]] ?? []
            device = sensors.first { $0["sensorId"] as? String == "watch-l" }
            if let accepted = device?["framesAccepted"] as? Int, accepted >= 20 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect((device?["framesAccepted"] as? Int ?? 0) >= 20, "sensors: \(String(describing: device)); bridge: \(watch.stderr)")
        #expect(device?["device"] as? String == "watch")
        #expect(device?["battery"] as? Int == 87)
        #expect(device?["sampleRate"] as? Double == 25)
        #expect(device?["placement"] as? String == "left-wrist")
        // No detector runs here: the watch is told FAULT (nobody is watching), never left to NETFAULT.
        #expect(await watch.waitForOutput("status 4 FAULT", timeout: 20), "statuses: \(watch.stdout)")

        // A fall alert on the bus (as detection would publish it): the watch shows FALL.
        let configuration = try ConfigurationLoader.load(home: DataHome(root: home))
        let publisher = try BusPublisher(
            context: context, address: try BusAddress.resolve(home: DataHome(root: home), configuration: configuration),
            source: "cli")
        let alert = Alert(
            kind: "fall", severity: .critical, groupKey: "me/fall", title: "Possible fall",
            message: "A fall was detected by the left wrist watch.", at: Date().timeIntervalSince1970, sensorId: "watch-l")
        let fallDeadline = Date().addingTimeInterval(40)
        while Date() < fallDeadline && !watch.stdout.contains("status 3 FALL") {
            try publisher.publish(alert, topic: Topic.alert(.critical), id: alert.alertId)  // a slow joiner misses the first
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(watch.stdout.contains("status 3 FALL"), "statuses: \(watch.stdout); bridge: \(watch.stderr)")
        await publisher.closeAsync()

        // The link drops after 20 s: the bridge connects again after 1 s and streams on, on a
        // clock ingestion takes without a refusal; then the second link drops and it exits.
        #expect(await watch.wait(timeout: 90) == 0, "bridge: \(watch.stderr)")
        #expect(watch.stderr.components(separatedBy: "streaming from the watch").count == 3, "\(watch.stderr)")
        #expect(watch.stderr.contains("the watch disconnected\nosd_watch_bridge: connecting again in 1 s"), "\(watch.stderr)")
        #expect(watch.stderr.contains(" 0 refused, 0 dropped"), "no frame refused: \(watch.stderr)")
        let list = try ChildProcess("spasmwatch", ["sensors", "--json"], home: home)
        #expect(await list.wait(timeout: 20) == 0)
        let after = ((try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]] ?? [])
            .first { $0["sensorId"] as? String == "watch-l" }
        // 2 × 20 s at 25 Hz in frames of 6: about 166 frames, all of them taken.
        #expect((after?["framesAccepted"] as? Int ?? 0) >= 160, "\(String(describing: after))")
        #expect(after?["framesRejected"] as? Int == 0, "\(String(describing: after))")
        // ... and stored, every one.
        let accepted = Int64(after?["framesAccepted"] as? Int ?? -1)
        let loss = LossAccountingProcessTests()
        let allStored = try await loss.waitUntil(30) { try await loss.storedFrames(home, sensor: "watch-l") == accepted }
        let stored = try await loss.storedFrames(home, sensor: "watch-l")
        #expect(allStored, "stored \(String(describing: stored)) of \(accepted)")
        context.terminate()
    }
}
