import Foundation
import SpasmBus
import SpasmConfig
import SpasmProducer
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The real bus and sensor-ingestion processes, with producers in Swift, Python and curl.
@Suite("Sensor ingestion processes", .serialized)
struct SensorProcessTests {
    /// Starts bus and sensor ingestion on a fresh home with a free HTTP port.
    func startStack(_ label: String) async throws -> (URL, ChildProcess, ChildProcess, Int) {
        let home = try TestSupport.temporaryHome(label)
        let port = 18_000 + Int.random(in: 0..<2000)
        try #"{"sensor": {"httpPort": \#(port)}}"#.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        // Frames are accepted once ingestion has heard the bus.
        #expect(await sensor.waitForOutput("bus connected"))
        return (home, bus, sensor, port)
    }

    func endpoints(_ home: URL) -> Endpoints {
        Endpoints(home: DataHome(root: home), configuration: Configuration())
    }

    @Test func swiftProducerFramesReachTheBusAndBadFramesGetErrors() async throws {
        let (home, bus, sensor, _) = try await startStack("sensor-swift")
        defer { try? FileManager.default.removeItem(at: home) }
        let ep = endpoints(home)
        let context = ZMQContext()
        let subscriber = try BusSubscriber(
            context: context, address: BusAddress(publish: ep.busPublish, subscribe: ep.busSubscribe),
            prefixes: ["sensor."])
        try await Task.sleep(for: .milliseconds(500))
        let result: (ProducerReply, ProducerReply) = try await offPoolThrowing {
            let producer = try SensorProducer(
                endpoint: ep.sensorProducers,
                sensor: .init(sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100),
                context: context)
            defer { producer.close() }
            let good = try producer.send(
                samples: Array(repeating: [0, 0, 1], count: 50).flatMap { $0 }, firstSampleTime: Date().timeIntervalSince1970)
            let bad = try producer.send(samples: [0, 0, 99], firstSampleTime: nil)
            return (good, bad)
        }
        #expect(result.0.ok)
        #expect(result.0.accepted == 50)
        #expect(result.1.ok == false)
        #expect(result.1.error == "sample 0 (az) is 99 g; |az| must be ≤ 16 g for imu")
        var topics: [String] = []
        var frame: BusMessage?
        let deadline = Date().addingTimeInterval(10)
        while frame == nil && Date() < deadline {
            for m in subscriber.next(timeout: 0.1) ?? [] {
                topics.append(m.topic)
                if m.topic == "sensor.frame.ankle-r" { frame = m }
            }
        }
        let received = try #require(frame)
        #expect(try received.decode(SensorFrame.self).body.sampleCount == 50)
        #expect(received.payload?.count == 600)
        #expect(topics.contains(Topic.sensorRegistered))
        // The sensor shows in `spasmwatch status`.
        let status = try ChildProcess("spasmwatch", ["status", "--set", "expectedServices=spasmwatch-bus,spasmwatch-sensor"], home: home)
        #expect(await status.wait(timeout: 20) == 0)
        #expect(status.stdout.contains("ankle-r"))
        #expect(status.stdout.contains("rejected.samples") == false)
        #expect(status.stdout.contains("rejected.range=1"))
        await subscriber.closeAsync()
        context.terminate()
        await sensor.stop()
        await bus.stop()
        #expect(sensor.process.terminationStatus == 0)
    }

    @Test func framesInFlightEachGetTheirReplyInOrder() async throws {
        let (home, bus, sensor, _) = try await startStack("sensor-window")
        defer { try? FileManager.default.removeItem(at: home) }
        let ep = endpoints(home)
        let context = ZMQContext()
        let subscriber = try BusSubscriber(
            context: context, address: BusAddress(publish: ep.busPublish, subscribe: ep.busSubscribe),
            prefixes: ["sensor.frame.window-"])
        try await Task.sleep(for: .milliseconds(500))
        let replies: [ProducerReply] = try await offPoolThrowing {
            let producer = try SensorProducer(
                endpoint: ep.sensorProducers,
                sensor: .init(sensorId: "window-1", kind: .imu, placement: .leftWrist, sampleRate: 100),
                context: context, window: 8)
            defer { producer.close() }
            let t0 = Date().timeIntervalSince1970
            var replies: [ProducerReply] = []
            for i in 0..<200 {
                // Frame 100 is out of range: its reply, and only its reply, is an error.
                let samples = i == 100 ? [0, 0, 99] + [Float](repeating: 0, count: 72) : [Float](repeating: 0.5, count: 75)
                replies += try producer.submit(samples: samples, firstSampleTime: t0 + Double(i) * 0.25)
                #expect(producer.framesInFlight <= 8)
            }
            replies += try producer.flush()
            #expect(producer.framesInFlight == 0)
            return replies
        }
        #expect(replies.count == 200)
        #expect(replies.map(\.seq) == (0..<200).map { UInt64($0) })
        #expect(replies.filter { !$0.ok }.map(\.seq) == [100])
        #expect(replies[100].error == "sample 0 (az) is 99 g; |az| must be ≤ 16 g for imu")
        var frames = 0
        let deadline = Date().addingTimeInterval(10)
        while frames < 199 && Date() < deadline { frames += subscriber.next(timeout: 0.1)?.count ?? 0 }
        #expect(frames == 199)
        await subscriber.closeAsync()
        context.terminate()
        await sensor.stop()
        await bus.stop()
    }

    @Test func httpAndCurlUseTheSameValidation() async throws {
        let (home, bus, sensor, port) = try await startStack("sensor-http")
        defer { try? FileManager.default.removeItem(at: home) }
        func post(_ body: String) async throws -> (Int, ProducerReply) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/frames")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("Bearer \(TestSupport.httpToken(home: home))", forHTTPHeaderField: "Authorization")
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as! HTTPURLResponse).statusCode, try JSONDecoder().decode(ProducerReply.self, from: data))
        }
        let good = try await post(
            #"{"v":1,"sensorId":"calf","kind":"emg","placement":"left-calf","sampleRate":1000,"unit":"mV","samples":[0.1,0.2]}"#)
        #expect(good.0 == 200)
        #expect(good.1.ok)
        let bad = try await post(#"{"v":1,"sensorId":"calf","kind":"emg","placement":"left-calf","sampleRate":5000,"unit":"mV","samples":[0.1]}"#)
        #expect(bad.0 == 400)
        #expect(bad.1.error == "sampleRate 5000 is outside 500–2000 Hz for emg")
        // The curl example from the docs.
        let curl = Process()
        curl.executableURL = TestSupport.repositoryRoot.appendingPathComponent("examples/curl/send-frame.sh")
        curl.arguments = ["http://127.0.0.1:\(port)"]
        curl.environment = ProcessInfo.processInfo.environment.merging(["SPASMWATCH_HOME": home.path]) { $1 }
        let pipe = Pipe()
        curl.standardOutput = pipe
        if FileManager.default.fileExists(atPath: "/usr/bin/curl") {
            try curl.run()
            curl.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(out.contains(#""ok":true"#), "curl example: \(out)")
            // The example is a test sensor: listed as such, never watched when silent.
            let list = try ChildProcess("spasmwatch", ["sensors", "--json"], home: home)
            #expect(await list.wait(timeout: 20) == 0)
            let sensors = try JSONDecoder().decode([SensorStatus].self, from: Data(list.stdout.utf8))
            #expect(sensors.first { $0.sensorId == "curl-calf" }?.test == true)
            #expect(sensors.first { $0.sensorId == "calf" }?.test == false, "a frame without the flag is a real sensor")
        }
        await sensor.stop()
        await bus.stop()
    }

    @Test(.enabled(if: PythonProducer.available, "python3 with pyzmq is not installed (deploy/stack test installs it)"))
    func pythonExampleProducer() async throws {
        let (home, bus, sensor, _) = try await startStack("sensor-py")
        defer { try? FileManager.default.removeItem(at: home) }
        let tail = try ChildProcess("spasmwatch", ["tail", "sensor.frame.python-wrist", "--count", "3", "--seconds", "30"], home: home)
        try await Task.sleep(for: .milliseconds(500))
        let script = TestSupport.repositoryRoot.appendingPathComponent("examples/python/producer.py").path
        let good = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", script, "--seconds", "2",
                "--endpoint", endpoints(home).sensorProducers,
            ], home: home)
        #expect(await good.wait(timeout: 30) == 0, "python producer: \(good.stderr)")
        #expect(good.stdout.contains("sent 8 frames from python-wrist"))
        #expect(await tail.wait(timeout: 20) == 0)
        #expect(tail.stdout.contains("sensor.frame.python-wrist"))
        let bad = try ChildProcess("/usr/bin/env", ["python3", script, "--bad", "--endpoint", endpoints(home).sensorProducers], home: home)
        #expect(await bad.wait(timeout: 30) == 0)
        #expect(bad.stdout.contains("sampleRate 5000 is outside 500–2000 Hz for emg"))
        let list = try ChildProcess("spasmwatch", ["sensors", "--json"], home: home)
        #expect(await list.wait(timeout: 20) == 0)
        let sensors = try JSONDecoder().decode([SensorStatus].self, from: Data(list.stdout.utf8))
        #expect(sensors.first { $0.sensorId == "python-wrist" }?.test == true, "the example is a test sensor")
        // Frames in flight (DEALER): 60 s of data sent without waiting, every reply in order.
        let fast = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", script, "--in-flight", "16", "--seconds", "60", "--sensor-id", "python-fast",
                "--endpoint", endpoints(home).sensorProducers,
            ], home: home)
        #expect(await fast.wait(timeout: 60) == 0, "python producer --in-flight: \(fast.stderr)")
        #expect(fast.stdout.contains("sent 240 frames from python-fast, 240 accepted"))
        await sensor.stop()
        await bus.stop()
    }

    @Test(.enabled(if: TestSupport.sharedDirectory != nil, "../shared/eval/dev is not present beside the repository"))
    func replayOfEveryDevRecordingRunsClean() async throws {
        let (home, bus, sensor, _) = try await startStack("sensor-replay")
        defer { try? FileManager.default.removeItem(at: home) }
        let dev = try #require(TestSupport.sharedDirectory).appendingPathComponent("eval/dev")
        let files = try FileManager.default.contentsOfDirectory(atPath: dev.path)
            .filter { $0.hasSuffix(".csv") && !$0.hasSuffix(".labels.csv") }.sorted()
        #expect(files.count >= 6)
        for file in files {
            let replay = try ChildProcess("spasmwatch-sensor", ["replay", dev.appendingPathComponent(file).path, "--speed", "max"], home: home)
            #expect(await replay.wait(timeout: 300) == 0, "\(file): \(replay.stdout) \(replay.stderr)")
            #expect(replay.stdout.contains(", 0 rejected"), "\(file): \(replay.stdout)")
        }
        await sensor.stop()
        await bus.stop()
    }

    @Test func checkCommandPrintsTheVerdict() async throws {
        let home = try TestSupport.temporaryHome("check")
        defer { try? FileManager.default.removeItem(at: home) }
        let good = home.appendingPathComponent("good.json")
        let bad = home.appendingPathComponent("bad.json")
        try #"{"v":1,"sensorId":"a","kind":"imu","placement":"left-wrist","sampleRate":50,"unit":"g","samples":[0,0,1]}"#
            .write(to: good, atomically: true, encoding: .utf8)
        try #"{"v":1,"sensorId":"a","kind":"imu","placement":"left-elbow","sampleRate":50,"unit":"g","samples":[0,0,1]}"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let ok = try ChildProcess("spasmwatch-sensor", ["check", good.path], home: home)
        #expect(await ok.wait(timeout: 20) == 0)
        #expect(ok.stdout.contains("accepted: imu frame from a at left-wrist, 1 samples × 3 channel(s) at 50 Hz"))
        let no = try ChildProcess("spasmwatch-sensor", ["check", bad.path], home: home)
        #expect(await no.wait(timeout: 20) == 1)
        #expect(no.stdout.contains("rejected: placement 'left-elbow' is not a body site"))
    }

    /// `replay --placement` with a typo: refused before anything is sent, with the site it most
    /// likely meant (issue 18 §11).
    @Test func replayOfAMistypedPlacementSuggestsTheSite() async throws {
        let home = try TestSupport.temporaryHome("replay-placement")
        defer { try? FileManager.default.removeItem(at: home) }
        let recording = home.appendingPathComponent("r.csv")
        try "t,emg\n0,0.1\n0.001,0.2\n".write(to: recording, atomically: true, encoding: .utf8)
        let replay = try ChildProcess("spasmwatch-sensor", ["replay", recording.path, "--placement", "left-clf"], home: home)
        #expect(await replay.wait(timeout: 20) != 0)
        #expect(
            replay.stderr.contains("placement 'left-clf' is not a body site (did you mean left-calf?); allowed: \(BodySite.allowedList)"),
            "\(replay.stderr)")
    }
}

enum PythonProducer {
    static let available: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import zmq"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()
}

/// Runs socket work (the producers and sockets it makes) on its own thread, passing errors through.
func offPoolThrowing<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await SocketThread.run(name: "test") { Result { try body() } }.get()
}
