import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime
import SpasmSchema
import SpasmSync
import ZeroMQ

/// `spasmwatch-bench bus`: publisher → broker → subscriber throughput through a real
/// `spasmwatch-bus`, printed beside the same path through raw libzmq in a small C program
/// built and run in the same run (so the ratio, not the absolute figure, is what counts).
struct BenchBusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Bus throughput (200-byte messages and 50×3 sensor frames) beside raw libzmq in C.")

    @Option(help: "Messages per run.")
    var messages: Int = 100_000

    @Option(help: .hidden)
    var role: String?

    @Option(help: .hidden)
    var endpoint: String = ""

    @Option(help: .hidden)
    var shape: String = "small"

    func run() async throws {
        if let role {
            try BenchPeer.run(role: role, endpoint: endpoint, shape: shape, count: messages)
            return
        }
        let home = try TemporaryDirectory(prefix: "sw-bench")
        defer { home.remove() }
        let bin = BenchBinaries.directory
        let bus = try Child.start(bin.appendingPathComponent("spasmwatch-bus").path, [], home: home.url)
        defer { bus.terminate() }
        let dataHome = DataHome(root: home.url)
        let endpoints = Endpoints(home: dataHome, configuration: Configuration())
        try await Task.sleep(for: .seconds(1))
        let cBench = try CBench.build(in: home.url)

        print("Bus throughput: publisher → spasmwatch-bus (XSUB/XPUB proxy) → subscriber, \(messages) messages, ipc, separate processes")
        print("")
        var rows: [[String]] = [["MESSAGE", "RAW LIBZMQ (C)", "SWIFT WRAPPER", "% OF RAW", "SPASMWATCH ENVELOPES", "% OF RAW"]]
        for (shape, label) in [("small", "200 B, 1 part"), ("frame", "sensor frame 50×3 (3 parts)")] {
            let raw = try await measure(
                sub: [cBench, "sub", endpoints.busSubscribe, "\(messages)"],
                pub: [cBench, "pub", endpoints.busPublish, "\(messages)", shape])
            let swift = try await measure(
                sub: selfArgs(bin, "sub", endpoints.busSubscribe, shape),
                pub: selfArgs(bin, "pub", endpoints.busPublish, shape))
            let envelope = try await measure(
                sub: selfArgs(bin, "envelope-sub", endpoints.busSubscribe, shape),
                pub: selfArgs(bin, "envelope-pub", endpoints.busPublish, shape))
            rows.append([label, raw.text, swift.text, percent(swift.rate, raw.rate), envelope.text, percent(envelope.rate, raw.rate)])
        }
        print(TextTable.render(rows))
        print("")
        print("SWIFT WRAPPER: the same frames through Shared/ZeroMQ. SPASMWATCH ENVELOPES: BusPublisher (stamps and encodes")
        print("a JSON envelope per message) → BusSubscriber (parses it, checks sequence numbers, hands it to async code).")
        print("Loss, when any, is what the subscriber counted missing (high-water mark \(Configuration().bus.highWaterMark)).")
    }

    func selfArgs(_ bin: URL, _ role: String, _ endpoint: String, _ shape: String) -> [String] {
        [
            bin.appendingPathComponent("spasmwatch-bench").path, "bus", "--role", role, "--endpoint", endpoint,
            "--shape", shape, "--messages", "\(messages)",
        ]
    }

    func percent(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.0f%%", 100 * a / b) : "-" }

    struct Result {
        var received: Int
        var rate: Double
        var text: String { String(format: "%.0f k msg/s", rate / 1000) + (received < 0 ? "" : " (\(received) recv)") }
    }

    /// Starts the subscriber, then the publisher; the subscriber prints "received N seconds S".
    func measure(sub: [String], pub: [String]) async throws -> Result {
        let subscriber = try Child.start(sub[0], Array(sub.dropFirst()), home: nil)
        try await Task.sleep(for: .milliseconds(700))
        let publisher = try Child.start(pub[0], Array(pub.dropFirst()), home: nil)
        let output = await subscriber.waitForExit(timeout: 120)
        subscriber.terminate()
        publisher.terminate()
        let fields = output.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = fields.firstIndex(of: "received"), i + 3 < fields.count,
            let n = Int(fields[i + 1]), let s = Double(fields[i + 3]), s > 0
        else {
            return Result(received: 0, rate: 0)
        }
        return Result(received: n, rate: Double(n) / s)
    }
}

/// The two ends of a benchmark run, as separate processes.
enum BenchPeer {
    static func payload(shape: String) -> (topic: Data, middle: Data, tail: Data?) {
        if shape == "small" { return (Data(repeating: 0x61, count: 200), Data(), nil) }
        return (Data("sensor.frame.ankle-r".utf8), Data(repeating: 0x7b, count: 300), Data(repeating: 1, count: 600))
    }

    static func run(role: String, endpoint: String, shape: String, count: Int) throws {
        let context = ZMQContext()
        defer { context.terminate() }
        switch role {
        case "pub":
            let socket = try ZMQSocket(context: context, type: .pub)
            try socket.setSendHighWaterMark(200_000)
            try socket.setLinger(milliseconds: 5000)
            try socket.connect(endpoint)
            Thread.sleep(forTimeInterval: 0.5)
            let p = payload(shape: shape)
            let frames = shape == "small" ? [p.topic] : [p.topic, p.middle, p.tail!]
            for _ in 0..<count { try socket.send(frames) }
            socket.close()
        case "sub":
            let socket = try ZMQSocket(context: context, type: .sub)
            try socket.setReceiveHighWaterMark(200_000)
            try socket.subscribe("")
            try socket.connect(endpoint)
            try socket.setReceiveTimeout(milliseconds: 30_000)
            var received = 0
            var first: Date?
            var last = Date()
            while received < count, (try socket.receiveMultipart()) != nil {
                if first == nil {
                    first = Date()
                    try socket.setReceiveTimeout(milliseconds: 2000)
                }
                received += 1
                last = Date()
            }
            print("received \(received) seconds \(last.timeIntervalSince(first ?? last))")
            socket.close()
        case "envelope-pub":
            let address = BusAddress(publish: endpoint, subscribe: "")
            let publisher = try BusPublisher(context: context, address: address, source: "bench", queueCapacity: 1_000_000)
            Thread.sleep(forTimeInterval: 0.5)
            let frame = SensorFrame(
                sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3,
                unit: .g, firstSampleTime: Date().timeIntervalSince1970, sampleCount: 50)
            let beat = Heartbeat(
                service: "bench", instance: "bench", pid: 1, version: "0", uptimeSeconds: 0,
                counters: ["a": 1, "b": 2, "c": 3], info: ["k": String(repeating: "x", count: 40)])
            let samples = Data(repeating: 1, count: 600)
            let frameJSON = try WireCodec.encode(frame)
            let beatJSON = try WireCodec.encode(beat)
            for _ in 0..<count {
                // Back-pressure on the hand-off queue instead of dropping.
                while publisher.pending > 500_000 { Thread.sleep(forTimeInterval: 0.001) }
                if shape == "small" {
                    try publisher.publishEncoded(
                        topic: "heartbeat.bench", type: Heartbeat.messageType, id: UUID(),
                        person: nil, bodyJSON: beatJSON)
                } else {
                    try publisher.publishEncoded(
                        topic: "sensor.frame.ankle-r", type: SensorFrame.messageType, id: UUID(),
                        person: nil, bodyJSON: frameJSON, payload: samples)
                }
            }
            publisher.close()
        case "envelope-sub":
            let address = BusAddress(publish: "", subscribe: endpoint)
            let subscriber = try BusSubscriber(context: context, address: address, prefixes: [""], queueCapacity: 200_000)
            var received = 0
            var first: Date?
            var last = Date()
            var idle = Date().addingTimeInterval(28)  // wait up to 30 s for the first message
            while received < count, Date().timeIntervalSince(idle) < 2 {
                let batch = subscriber.next(timeout: 0.1) ?? []
                if batch.isEmpty { continue }
                if first == nil { first = Date() }
                received += batch.count
                last = Date()
                idle = last
            }
            print("received \(received) seconds \(last.timeIntervalSince(first ?? last)) missing \(subscriber.totalMissing)")
            subscriber.close()
        default:
            throw ValidationError("unknown role \(role)")
        }
    }
}

/// The raw-libzmq reference: a small C program compiled in the same run.
enum CBench {
    static let source = #"""
        #include <zmq.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <time.h>
        #include <unistd.h>
        static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
        int main(int argc, char **argv) {
            if (argc < 4) return 2;
            void *ctx = zmq_ctx_new();
            long n = atol(argv[3]);
            int hwm = 200000;
            if (strcmp(argv[1], "pub") == 0) {
                void *s = zmq_socket(ctx, ZMQ_PUB);
                zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
                int linger = 5000; zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
                zmq_connect(s, argv[2]);
                usleep(500000);
                int frame = argc > 4 && strcmp(argv[4], "frame") == 0;
                char a[200], b[300], c[600];
                memset(a, 'a', 200); memset(b, '{', 300); memset(c, 1, 600);
                for (long i = 0; i < n; i++) {
                    if (frame) {
                        zmq_send(s, "sensor.frame.ankle-r", 20, ZMQ_SNDMORE);
                        zmq_send(s, b, 300, ZMQ_SNDMORE);
                        zmq_send(s, c, 600, 0);
                    } else {
                        zmq_send(s, a, 200, 0);
                    }
                }
                zmq_close(s);
            } else {
                void *s = zmq_socket(ctx, ZMQ_SUB);
                zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
                zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
                int timeout = 30000; zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
                zmq_connect(s, argv[2]);
                long received = 0; double first = 0, last = 0;
                zmq_msg_t msg; zmq_msg_init(&msg);
                while (received < n) {
                    int more = 1, ok = 1;
                    while (more) {
                        if (zmq_msg_recv(&msg, s, 0) < 0) { ok = 0; break; }
                        more = zmq_msg_more(&msg);
                    }
                    if (!ok) break;
                    if (received == 0) { first = now(); timeout = 2000; zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout); }
                    received++;
                    last = now();
                }
                zmq_msg_close(&msg);
                printf("received %ld seconds %f\n", received, last - first);
                zmq_close(s);
            }
            zmq_ctx_term(ctx);
            return 0;
        }
        """#

    static func build(in dir: URL) throws -> String {
        let c = dir.appendingPathComponent("zmq_bench.c")
        let exe = dir.appendingPathComponent("zmq_bench")
        try AtomicFile.write(source, to: c)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-O2", "-o", exe.path, c.path, "-lzmq"]
        try cc.run()
        cc.waitUntilExit()
        guard cc.terminationStatus == 0 else { throw ValidationError("could not compile the C reference (cc and libzmq3-dev needed)") }
        return exe.path
    }
}

/// A temporary folder removed at the end.
struct TemporaryDirectory {
    let url: URL
    init(prefix: String) throws {
        url = URL(fileURLWithPath: "/tmp").appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A child process for benchmarks, its stdout collected.
final class Child: @unchecked Sendable {
    // Safe: `output` is only touched under `lock`.
    let process = Process()
    private let lock = NSLock()
    private var output = Data()

    static func start(_ path: String, _ arguments: [String], home: URL?) throws -> Child {
        let child = Child()
        child.process.executableURL = URL(fileURLWithPath: path)
        child.process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        if let home { env["SPASMWATCH_HOME"] = home.path }
        child.process.environment = env
        let pipe = Pipe()
        child.process.standardOutput = pipe
        child.process.standardError = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            child.lock.lock()
            child.output.append(d)
            child.lock.unlock()
        }
        try child.process.run()
        return child
    }

    func waitForExit(timeout: Double) async -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        try? await Task.sleep(for: .milliseconds(50))
        return lock.withLock { String(decoding: output, as: UTF8.self) }
    }

    func terminate() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
