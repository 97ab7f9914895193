import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmIngestion
import SpasmProducer
import SpasmRuntime
import SpasmSchema
import SpasmSync
import Synchronization
import ZeroMQ

/// `spasmwatch-bench sensor`: frames/s and samples/s accepted and republished with 10 and
/// 100 concurrent producers, binary and JSON samples, each beside a reference measured in the
/// same run: the same producers sending the same frames with the same window to a ZeroMQ
/// ROUTER in this process that answers each frame "ok" without reading it (no validation, no
/// bus), and the bus's raw throughput for frames of the same size. Starts its own bus and ingestion.
struct SensorBenchCommand: AsyncParsableCommand, BenchSuitePart {
    static let configuration = CommandConfiguration(
        commandName: "sensor",
        abstract: "Ingestion throughput (printed, never asserted) beside bare ZeroMQ replies and the bus's raw throughput.")

    @Option(help: "Seconds per case.")
    var seconds: Double = 5

    /// The goal for binary 50×3 frames on this 2-core machine.
    static let goalFramesPerSecond = 50_000.0

    func run() async throws {
        _ = try await Self.measure(seconds: seconds, oneAtATime: true)
    }

    /// 3 s per case (the rates settle within a second), without the one-at-a-time case.
    static func runForSuite() async throws -> [BenchLine] {
        try await measure(seconds: 3, oneAtATime: false)
    }

    /// Prints the detail; returns a line per producers × samples case beside its bare-reply reference.
    static func measure(seconds: Double, oneAtATime: Bool) async throws -> [BenchLine] {
        let home = try TemporaryDirectory(prefix: "sw-sensor-bench")
        defer { home.remove() }
        try AtomicFile.write(#"{"sensor": {"httpPort": 0}}"#, to: home.url.appendingPathComponent("config.json"))
        let bin = BenchBinaries.directory
        let bus = try Child.start(bin.appendingPathComponent("spasmwatch-bus").path, [], home: home.url)
        try await Task.sleep(for: .seconds(1))
        let sensor = try Child.start(bin.appendingPathComponent("spasmwatch-sensor").path, [], home: home.url)
        defer {
            sensor.terminate()
            bus.terminate()
        }
        try await Task.sleep(for: .seconds(2))
        let dataHome = DataHome(root: home.url)
        let endpoints = Endpoints(home: dataHome, configuration: try ConfigurationLoader.load(home: dataHome))
        let bareEndpoint = "ipc://\(home.url.path)/bare-replies.sock"

        await SocketThread.run(name: "bench") { Self.perFrameCosts(endpoints: endpoints) }
        print(
            "Sensor ingestion: producers → spasmwatch-sensor (validate, convert, republish) → bus → a subscriber; 50×3 IMU frames; \(Int(seconds)) s per case"
        )
        print("")
        let raw = await SocketThread.run(name: "bench") { Self.rawBus(endpoints: endpoints, seconds: seconds) }
        var rows = [["CASE", "FRAMES/S ACCEPTED", "SAMPLES/S", "REPUBLISHED/S", "BARE REPLIES/S", "% OF BARE", "% OF RAW BUS"]]
        rows.append([
            "raw bus (3-part frames, no ingestion)", String(format: "%.0f k", raw / 1000), String(format: "%.1f M", raw * 150 / 1e6), "-", "-", "-",
            "100%",
        ])
        var cases: [(producers: Int, binary: Bool, window: Int)] = [(10, true, 64), (10, false, 64), (100, true, 64), (100, false, 64)]
        if oneAtATime { cases.append((10, true, 1)) }
        var lines: [BenchLine] = []
        for c in cases {
            let bare = await SocketThread.run(name: "bench") {
                Self.bareReplies(producers: c.producers, binary: c.binary, window: c.window, endpoint: bareEndpoint, seconds: seconds)
            }
            let (accepted, republished) = await SocketThread.run(name: "bench") {
                Self.run(
                    producers: c.producers, binary: c.binary, window: c.window, endpoint: endpoints.sensorProducers, subscribe: endpoints,
                    seconds: seconds)
            }
            let how = c.window > 1 ? "" : ", one at a time (send)"
            let name = "\(c.producers) producers, \(c.binary ? "binary" : "JSON") samples\(how)"
            let ofBare = String(format: "%.0f%%", 100 * accepted / max(bare, 1))
            rows.append([
                name, String(format: "%.1f k", accepted / 1000), String(format: "%.2f M", accepted * 150 / 1e6),
                String(format: "%.1f k", republished / 1000), String(format: "%.1f k", bare / 1000), ofBare,
                String(format: "%.0f%%", 100 * accepted / raw),
            ])
            guard c.window > 1 else { continue }
            lines.append(
                BenchLine(
                    area: "Ingestion", what: "\(name), 50×3 frames",
                    figure: String(format: "%.1f k frames/s, %.2f M samples/s", accepted / 1000, accepted * 150 / 1e6),
                    reference: String(format: "bare ZeroMQ replies %.1f k frames/s", bare / 1000), ratio: ofBare,
                    goal: c.binary ? "≥ 50 k frames/s" : "", met: c.binary ? accepted >= goalFramesPerSecond : nil))
        }
        print(TextTable.render(rows))
        print("")
        print("Producers use the Swift SDK: `submit` with up to 64 frames in flight each (replies in order)\(oneAtATime ? ", except the last" : "")")
        if oneAtATime { print("row, which waits for each reply (`send`).") }
        print("BARE REPLIES: the same producers, frames and window against a ZeroMQ ROUTER in this process that answers every")
        print("frame {\"ok\":true} without reading it (no validation, no conversion, no bus): the request/reply path alone.")
        print("A sample is one value per axis (150 per frame). Producers, ingestion, the bus and the subscriber share the 2 cores.")
        print("Goal for binary 50×3 frames: ≥ 50 k frames/s (7.5 M samples/s) on this 2-core machine.")
        return lines
    }

    /// The reference of each case: the producers of `run` against a ROUTER that replies "ok"
    /// to every frame without reading it; frames per second answered.
    static func bareReplies(producers: Int, binary: Bool, window: Int, endpoint: String, seconds: Double) -> Double {
        let context = ZMQContext()
        defer { context.terminate() }
        let stop = Atomic<Bool>(false)
        let ready = SocketThread.Handshake()
        let router = SocketThread(name: "bare-router") {
            guard let socket = try? ZMQSocket(context: context, type: .router) else { return ready.succeed() }
            _ = try? socket.setReceiveTimeout(milliseconds: 200)
            _ = try? socket.bind(endpoint)
            ready.succeed()
            let reply = Data(#"{"ok":true}"#.utf8)
            while !stop.load(ordering: .relaxed) {
                // A DEALER's frame arrives as [identity][header JSON][samples?]; the answer is [identity][reply].
                guard let parts = try? socket.receiveMultipart(), let identity = parts.first else { continue }
                _ = try? socket.send([identity, reply])
            }
            socket.close()
        }
        try? ready.wait()
        let (answered, _) = run(producers: producers, binary: binary, window: window, endpoint: endpoint, subscribe: nil, seconds: seconds)
        stop.store(true, ordering: .relaxed)
        router.join()
        return answered
    }

    /// What one frame costs inside ingestion, without sockets: validation, then validation
    /// plus publication (encode and hand to the bus thread).
    static func perFrameCosts(endpoints: Endpoints) {
        let header = ProducerFrame(
            sensorId: "cost", kind: "imu", placement: "left-wrist", sampleRate: 200, channels: 3, unit: "g",
            firstSampleTime: 1_764_072_000, sampleCount: 50, producer: "bench", seq: 1)
        let json = try! JSONEncoder().encode(header)
        let binary = SamplePacking.pack([Float](repeating: 0.01, count: 150))
        let n = 20_000
        var t = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<n { _ = try? FrameValidator.validate(json: json, binary: binary, maxBytes: 1 << 20) }
        let validate = Double(DispatchTime.now().uptimeNanoseconds - t) / Double(n) / 1000
        let context = ZMQContext()
        let publisher = try! BusPublisher(
            context: context, address: BusAddress(publish: endpoints.busPublish, subscribe: ""),
            source: "cost", queueCapacity: 1_000_000)
        // IngestionCore lives in spasmwatch-sensor, which this separate executable cannot link:
        // this is the same path without its per-stream rules (validate, encode, stamp, publish).
        t = DispatchTime.now().uptimeNanoseconds
        for i in 0..<n {
            var h = header
            h.firstSampleTime = 1_764_072_000 + Double(i) * 0.25
            let json = try! JSONEncoder().encode(h)
            guard (try? FrameValidator.validate(json: json, binary: binary, maxBytes: 1 << 20)) != nil else { continue }
            try? publisher.publishEncoded(
                topic: Topic.sensorFrame("cost"), type: SensorFrame.messageType, id: .fastRandom(),
                person: nil, bodyJSON: json, payload: binary)
        }
        let ingest = Double(DispatchTime.now().uptimeNanoseconds - t) / Double(n) / 1000
        publisher.close()
        context.terminate()
        print(String(format: "per frame, no sockets: validate %.1f µs; encode test header + validate + publish %.1f µs", validate, ingest))
    }

    /// Producers as threads, each with its own SensorProducer sending to `endpoint`; returns
    /// accepted and republished frames per second (republished counted on the bus of
    /// `subscribe`, 0 when nil).
    static func run(producers: Int, binary: Bool, window: Int, endpoint: String, subscribe: Endpoints?, seconds: Double) -> (Double, Double) {
        let context = ZMQContext()
        defer { context.terminate() }
        let counted = Atomic<Int>(0)
        let subscriber = subscribe.flatMap { endpoints in
            try? BusSubscriber(
                context: context, address: BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe),
                prefixes: ["sensor.frame.bench-"], queueCapacity: 1_000_000)
        }
        if subscriber != nil { Thread.sleep(forTimeInterval: 0.5) }
        let counter = Thread {
            while let batch = subscriber?.next(timeout: 0.2) { counted.add(batch.count, ordering: .relaxed) }
        }
        counter.start()
        let accepted = Atomic<Int>(0)
        let start = Date().timeIntervalSince1970
        let deadline = start + seconds
        var threads: [SocketThread] = []
        let samples = [Float](repeating: 0.01, count: 150)
        let jsonSamples = samples.map { Double($0) }
        for p in 0..<producers {
            threads.append(
                SocketThread(name: "bench-\(p)") {
                    guard
                        let producer = try? SensorProducer(
                            endpoint: endpoint,
                            sensor: .init(
                                sensorId: "bench-\(binary ? "b" : "j")\(producers)-\(window)-\(p)", kind: .imu,
                                placement: .leftWrist, sampleRate: 200, producerName: "bench"),
                            context: context, window: window)
                    else { return }
                    defer { producer.close() }
                    // The stream runs far faster than real time: date it a month back, so it never
                    // reaches the "at most 10 minutes ahead of the server clock" rule.
                    var t = start - 30 * 86_400
                    var n = 0
                    func count(_ replies: [ProducerReply]) { n += replies.lazy.filter(\.ok).count }
                    while Date().timeIntervalSince1970 < deadline {
                        for _ in 0..<16 {
                            if window == 1 {
                                if (try? producer.send(samples: samples, firstSampleTime: t))?.ok == true { n += 1 }
                            } else if binary {
                                count((try? producer.submit(samples: samples, firstSampleTime: t)) ?? [])
                            } else {
                                let frame = ProducerFrame(
                                    sensorId: producer.sensor.sensorId, kind: "imu", placement: "left-wrist", sampleRate: 200,
                                    unit: "g", firstSampleTime: t, seq: producer.framesSent, samples: jsonSamples)
                                count((try? producer.submit(json: frame.fastJSON()!, binary: nil)) ?? [])
                            }
                            t += 0.25
                        }
                    }
                    count((try? producer.flush()) ?? [])
                    accepted.add(n, ordering: .relaxed)
                })
        }
        for t in threads { t.join() }
        let elapsed = Date().timeIntervalSince1970 - start
        if subscriber != nil { Thread.sleep(forTimeInterval: 1) }
        subscriber?.close()
        while counter.isExecuting { Thread.sleep(forTimeInterval: 0.05) }
        return (Double(accepted.load(ordering: .relaxed)) / elapsed, Double(counted.load(ordering: .relaxed)) / elapsed)
    }

    /// The bus alone: 3-part messages of a frame's size from one PUB to one SUB through the broker.
    static func rawBus(endpoints: Endpoints, seconds: Double) -> Double {
        let context = ZMQContext()
        defer { context.terminate() }
        let received = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let ready = SocketThread.Handshake()
        let sub = SocketThread(name: "raw-sub") {
            guard let s = try? ZMQSocket(context: context, type: .sub) else { return }
            _ = try? s.setReceiveHighWaterMark(0)
            _ = try? s.subscribe("raw.")
            _ = try? s.setReceiveTimeout(milliseconds: 200)
            _ = try? s.connect(endpoints.busSubscribe)
            ready.succeed()
            while !stop.load(ordering: .relaxed) {
                if (try? s.receiveMultipart()) != nil { received.add(1, ordering: .relaxed) }
            }
            s.close()
        }
        try? ready.wait()
        let parts = [Data("raw.frame.bench".utf8), Data(repeating: 0x7b, count: 300), Data(repeating: 1, count: 600)]
        let pub = SocketThread(name: "raw-pub") {
            guard let s = try? ZMQSocket(context: context, type: .pub) else { return }
            _ = try? s.setSendHighWaterMark(0)
            _ = try? s.connect(endpoints.busPublish)
            Thread.sleep(forTimeInterval: 0.5)
            let end = Date().timeIntervalSince1970 + seconds
            // Sustained, not flooded: stay at most 20 k messages ahead of the subscriber, as
            // ingestion's producers stay at most their window ahead of their replies.
            var sent = 0
            while Date().timeIntervalSince1970 < end {
                if sent - received.load(ordering: .relaxed) > 20_000 {
                    usleep(200)
                    continue
                }
                for _ in 0..<1000 { _ = try? s.send(parts) }
                sent += 1000
            }
            s.close()
        }
        let before = received.load(ordering: .relaxed)
        let t0 = Date().timeIntervalSince1970
        pub.join()
        Thread.sleep(forTimeInterval: 0.5)
        stop.store(true, ordering: .relaxed)
        sub.join()
        return Double(received.load(ordering: .relaxed) - before) / (Date().timeIntervalSince1970 - t0)
    }
}
