import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime
import SpasmSchema
import SpasmSync
import ZeroMQ

/// `spasmwatch-bench bus`: publisher → broker → subscriber throughput, separate processes on
/// local sockets, for 200-byte messages and 3-part sensor frames, each path measured in the same
/// run: raw libzmq in C through the same `spasmwatch-bus`, the Swift wrapper, SpasmWatch's
/// envelopes, and Mosquitto with C clients (QoS 0, the same bytes). Every subscriber is timed
/// from the first message it received to the last and counts what it got; loss is what the
/// publisher sent and the subscriber never saw. Nothing waits for a count that loss makes
/// unreachable: a subscriber stops after `--idle` milliseconds without a message.
struct BenchBusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Bus throughput beside raw libzmq (C) and Mosquitto (C clients), 200 B messages and 3-part sensor frames.")

    @Option(help: "Messages per run (at least 2,000,000 makes start-up negligible for the C reference).")
    var messages: Int = 2_000_000

    @Option(help: "A subscriber stops after this many milliseconds without a message.")
    var idle: Int = 1000

    @Option(help: .hidden)
    var role: String?

    @Option(help: .hidden)
    var endpoint: String = ""

    @Option(help: .hidden)
    var shape: String = "small"

    func run() async throws {
        if let role {
            try BenchPeer.run(role: role, endpoint: endpoint, shape: shape, count: messages, idle: Double(idle) / 1000)
            return
        }
        let home = try TemporaryDirectory(prefix: "sw-bench")
        defer { home.remove() }
        let bin = BenchBinaries.directory
        let reference = bin.appendingPathComponent("spasmwatch-bench-ref").path
        let dataHome = DataHome(root: home.url)
        let endpoints = Endpoints(home: dataHome, configuration: Configuration())
        let bus = try Child.start(bin.appendingPathComponent("spasmwatch-bus").path, [], home: home.url)
        defer { bus.terminate() }
        guard await Self.waitForSocket(endpoints.busSubscribe, of: bus) else {
            throw ValidationError("spasmwatch-bus did not start (its output: \(bus.text))")
        }
        let mosquitto = try await MosquittoBroker.start(in: home.url)
        defer { mosquitto?.child.terminate() }

        print("Bus throughput, \(messages) messages per run, publisher and subscriber in separate processes on local sockets")
        print("(ZeroMQ ipc through spasmwatch-bus's XSUB/XPUB proxy; Mosquitto \(mosquitto?.version ?? "") on a unix socket).")
        print("")
        var rows: [[String]] = [
            ["MESSAGE", "RAW LIBZMQ (C)", "SWIFT WRAPPER", "SPASMWATCH ENVELOPES", "MOSQUITTO (C, QoS 0)", "ENV ÷ RAW", "ENV ÷ MQTT", "RAW ÷ MQTT"]
        ]
        var goals: [String] = []
        let n = "\(messages)"
        let idle = "\(idle)"
        for (shape, label) in [("small", "200 B, 1 part"), ("frame", "sensor frame, 3 parts (900 B)")] {
            let raw = try await measure(
                sub: [reference, "zmq-sub", endpoints.busSubscribe, n, idle], pub: [reference, "zmq-pub", endpoints.busPublish, n, shape])
            let swift = try await measure(
                sub: selfArgs(bin, "sub", endpoints.busSubscribe, shape), pub: selfArgs(bin, "pub", endpoints.busPublish, shape))
            let envelope = try await measure(
                sub: selfArgs(bin, "envelope-sub", endpoints.busSubscribe, shape),
                pub: selfArgs(bin, "envelope-pub", endpoints.busPublish, shape))
            var mqtt: Result?
            if let mosquitto {
                mqtt = try await measure(
                    sub: [reference, "mqtt-sub", mosquitto.socket, n, idle], pub: [reference, "mqtt-pub", mosquitto.socket, n, shape])
            }
            rows.append([
                label, raw.text, swift.text, envelope.text, mqtt?.text ?? "not installed",
                ratio(envelope, raw, percent: true), mqtt.map { ratio(envelope, $0) } ?? "-", mqtt.map { ratio(raw, $0) } ?? "-",
            ])
            if shape == "small" {
                goals.append(goal("200 B: envelopes ≥ 50% of raw C", envelope.rate >= 0.5 * raw.rate, ratio(envelope, raw, percent: true)))
                if let mqtt {
                    goals.append(goal("200 B: envelopes ≥ 1.5× Mosquitto", envelope.rate >= 1.5 * mqtt.rate, ratio(envelope, mqtt)))
                }
            } else {
                goals.append(goal("3-part frames: envelopes ≥ 80% of raw C", envelope.rate >= 0.8 * raw.rate, ratio(envelope, raw, percent: true)))
                if let mqtt { goals.append("  reported  3-part frames: envelopes ÷ Mosquitto at 900 B = \(ratio(envelope, mqtt))") }
            }
        }
        print(TextTable.render(rows))
        print("")
        print("Each cell: messages per second received, from the subscriber's first message to its last, and the share the")
        print("publisher sent that the subscriber never received (ZeroMQ drops past a high-water mark, \(Configuration().bus.highWaterMark) on")
        print("the bus; Mosquitto past its default queue limits). SWIFT WRAPPER: the same parts through Shared/ZeroMQ.")
        print("SPASMWATCH ENVELOPES: BusPublisher (stamps and encodes a JSON envelope per message) → BusSubscriber (parses it,")
        print("checks sequence numbers, hands it to async code). MOSQUITTO: mosquitto with its defaults, libmosquitto clients.")
        if mosquitto == nil { print("Mosquitto was not measured: install it with  apt-get install mosquitto") }
        print("")
        print("Goals (ratios in this run):")
        for line in goals { print(line) }
    }

    func selfArgs(_ bin: URL, _ role: String, _ endpoint: String, _ shape: String) -> [String] {
        [
            bin.appendingPathComponent("spasmwatch-bench").path, "bus", "--role", role, "--endpoint", endpoint,
            "--shape", shape, "--messages", "\(messages)", "--idle", "\(idle)",
        ]
    }

    func ratio(_ a: Result, _ b: Result, percent: Bool = false) -> String {
        guard b.rate > 0, a.rate > 0 else { return "-" }
        return percent ? String(format: "%.0f%%", 100 * a.rate / b.rate) : String(format: "%.2f×", a.rate / b.rate)
    }

    func goal(_ what: String, _ met: Bool, _ figure: String) -> String {
        "  \(met ? "met   " : "MISSED")  \(what): \(figure)"
    }

    struct Result {
        var sent: Int
        var received: Int
        var rate: Double
        var text: String {
            guard received > 0 else { return "nothing received" }
            let lost = sent > 0 ? 100 * Double(max(0, sent - received)) / Double(sent) : 0
            return String(format: "%.0f k/s, %.0f%% lost", rate / 1000, lost)
        }
    }

    /// Starts the subscriber and waits for its `ready`, then the publisher; waits for the
    /// publisher to finish and the subscriber to stop by itself (`--idle` after its last
    /// message), interrupting either that overstays. Both print what they counted.
    func measure(sub: [String], pub: [String]) async throws -> Result {
        let subscriber = try Child.start(sub[0], Array(sub.dropFirst()), home: nil)
        defer { subscriber.terminate() }
        guard await subscriber.waitForLine("ready", timeout: 15) else { return Result(sent: 0, received: 0, rate: 0) }
        try await Task.sleep(for: .milliseconds(200))
        let publisher = try Child.start(pub[0], Array(pub.dropFirst()), home: nil)
        defer { publisher.terminate() }
        if !(await publisher.waitForExit(timeout: max(120, Double(messages) / 5_000))) { await publisher.interrupt() }
        if !(await subscriber.waitForExit(timeout: Double(idle) / 1000 + 10)) { await subscriber.interrupt() }
        let sent = Self.number(after: "sent", in: publisher.text).map { Int($0) } ?? messages
        guard let received = Self.number(after: "received", in: subscriber.text), let seconds = Self.number(after: "seconds", in: subscriber.text),
            seconds > 0
        else { return Result(sent: sent, received: 0, rate: 0) }
        return Result(sent: sent, received: Int(received), rate: received / seconds)
    }

    /// The number after `word` in a peer's output line (`received 123 seconds 1.5`).
    static func number(after word: String, in text: String) -> Double? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = fields.lastIndex(of: Substring(word)), i + 1 < fields.count else { return nil }
        return Double(fields[i + 1])
    }

    /// Waits until the bus's subscribe socket exists (ipc) or a few seconds have passed (tcp).
    static func waitForSocket(_ endpoint: String, of bus: Child) async -> Bool {
        guard endpoint.hasPrefix("ipc://") else {
            try? await Task.sleep(for: .seconds(1))
            return bus.process.isRunning
        }
        return await bus.waitForFile(String(endpoint.dropFirst("ipc://".count)), timeout: 5)
    }
}

/// Debian's `mosquitto` on a unix socket in the bench's temporary folder, with its defaults
/// otherwise: what a home-server user would run instead of our bus.
struct MosquittoBroker {
    let child: Child
    let socket: String
    let version: String

    /// nil when `mosquitto` is not installed.
    static func start(in folder: URL) async throws -> MosquittoBroker? {
        guard
            let program = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else { return nil }
        let socket = folder.appendingPathComponent("mqtt.sock").path
        var settings = "listener 0 \(socket)\nallow_anonymous true\npersistence false\n"
        // As root mosquitto drops to the user `mosquitto`, who cannot write our 0700 folder.
        if getuid() == 0 { settings += "user root\n" }
        let file = folder.appendingPathComponent("mosquitto.conf")
        try AtomicFile.write(settings, to: file)
        let child = try Child.start(program, ["-c", file.path], home: nil)
        if await child.waitForFile(socket, timeout: 5) {
            return MosquittoBroker(child: child, socket: socket, version: versionText(program))
        }
        child.terminate()
        throw ValidationError("mosquitto did not start with \(file.path)")
    }

    static func versionText(_ program: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = ["-h"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return "" }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").first.map { $0.replacingOccurrences(of: "mosquitto version ", with: "") } ?? ""
    }
}

/// The two ends of a benchmark run, as separate processes.
enum BenchPeer {
    static func payload(shape: String) -> (topic: Data, middle: Data, tail: Data?) {
        if shape == "small" { return (Data(repeating: 0x61, count: 200), Data(), nil) }
        return (Data("sensor.frame.ankle-r".utf8), Data(repeating: 0x7b, count: 300), Data(repeating: 1, count: 600))
    }

    /// Publishers print `ready` once connected and `sent N seconds S`; subscribers print `ready`
    /// once subscribed and `received N seconds S` (first message to last), stopping after `idle`
    /// seconds without one: the same protocol as the C references.
    static func run(role: String, endpoint: String, shape: String, count: Int, idle: Double) throws {
        let context = ZMQContext()
        defer { context.terminate() }
        func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        switch role {
        case "pub":
            let socket = try ZMQSocket(context: context, type: .pub)
            try socket.setSendHighWaterMark(200_000)
            try socket.setLinger(milliseconds: 5000)
            try socket.connect(endpoint)
            Thread.sleep(forTimeInterval: 1)
            say("ready")
            let p = payload(shape: shape)
            let frames = shape == "small" ? [p.topic] : [p.topic, p.middle, p.tail!]
            let start = Date()
            for _ in 0..<count { try socket.send(frames) }
            say("sent \(count) seconds \(Date().timeIntervalSince(start))")
            socket.close()
        case "sub":
            let socket = try ZMQSocket(context: context, type: .sub)
            try socket.setReceiveHighWaterMark(200_000)
            try socket.subscribe("")
            try socket.connect(endpoint)
            try socket.setReceiveTimeout(milliseconds: 100)
            say("ready")
            var received = 0
            var first: Date?
            var last = Date()
            while received < count {
                guard try socket.receiveMultipart() != nil else {
                    if first != nil, Date().timeIntervalSince(last) > idle { break }
                    continue
                }
                last = Date()
                if first == nil { first = last }
                received += 1
            }
            say("received \(received) seconds \(last.timeIntervalSince(first ?? last))")
            socket.close()
        case "envelope-pub":
            let address = BusAddress(publish: endpoint, subscribe: "")
            let publisher = try BusPublisher(context: context, address: address, source: "bench", queueCapacity: 1_000_000)
            Thread.sleep(forTimeInterval: 1)
            say("ready")
            let frame = SensorFrame(
                sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3,
                unit: .g, firstSampleTime: Date().timeIntervalSince1970, sampleCount: 50)
            let beat = Heartbeat(
                service: "bench", instance: "bench", pid: 1, version: "0", uptimeSeconds: 0,
                counters: ["a": 1, "b": 2, "c": 3], info: ["k": String(repeating: "x", count: 40)])
            let samples = Data(repeating: 1, count: 600)
            let frameJSON = try WireCodec.encode(frame)
            let beatJSON = try WireCodec.encode(beat)
            let start = Date()
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
            while publisher.pending > 0 { Thread.sleep(forTimeInterval: 0.001) }
            say("sent \(count) seconds \(Date().timeIntervalSince(start))")
            publisher.close()
        case "envelope-sub":
            let address = BusAddress(publish: "", subscribe: endpoint)
            let subscriber = try BusSubscriber(context: context, address: address, prefixes: [""], queueCapacity: 200_000)
            say("ready")
            var received = 0
            var first: Date?
            var last = Date()
            while received < count {
                let batch = subscriber.next(timeout: 0.1) ?? []
                if batch.isEmpty {
                    if first != nil, Date().timeIntervalSince(last) > idle { break }
                    continue
                }
                last = Date()
                if first == nil { first = last }
                received += batch.count
            }
            say("received \(received) seconds \(last.timeIntervalSince(first ?? last)) missing \(subscriber.totalMissing)")
            subscriber.close()
        default:
            throw ValidationError("unknown role \(role)")
        }
    }
}
