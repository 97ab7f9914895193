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
/// envelopes, and Mosquitto with C clients (QoS 0, the same bytes). Every subscriber subscribes
/// to the bench's topics only (not the bus's own heartbeats), is timed from the first message it
/// received to the last and counts what it got; loss is what the publisher sent and the
/// subscriber never saw. Nothing waits for a count that loss makes unreachable: a subscriber
/// stops after `--idle` milliseconds without a message. Publishers flood; with `--rate` every
/// path is measured a second time with its publisher paced at that rate.
struct BenchBusCommand: AsyncParsableCommand, BenchSuitePart {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Bus throughput beside raw libzmq (C) and Mosquitto (C clients), 200 B messages and 3-part sensor frames.")

    @Option(help: "Messages per run (at least 2,000,000 makes start-up negligible for the C reference).")
    var messages: Int = 2_000_000

    @Option(help: "Messages per Mosquitto run (it runs at tens of thousands a second: 2 M would take 40-100 s per shape).")
    var mqttMessages: Int = 500_000

    @Option(help: "A subscriber stops after this many milliseconds without a message.")
    var idle: Int = 1000

    @Option(help: "Also measure every path with its publisher paced at this many messages per second (0: flood only).")
    var rate: Double = 0

    @Option(help: .hidden)
    var role: String?

    @Option(help: .hidden)
    var endpoint: String = ""

    @Option(help: .hidden)
    var shape: String = "small"

    func run() async throws {
        if let role {
            try BenchPeer.run(role: role, endpoint: endpoint, shape: shape, count: messages, idle: Double(idle) / 1000, rate: rate)
            return
        }
        let lines = try await measureAll()
        print("")
        print(BenchLine.render(lines))
    }

    /// The suite's run: 2 M messages per ZeroMQ path and 500 k for Mosquitto (at its 20–50 k
    /// msg/s, 2 M would take 40–100 s a shape), flooding publishers, no paced pass: about 3 minutes.
    static func runForSuite() async throws -> [BenchLine] {
        try await BenchBusCommand.parse([]).measureAll()
    }

    /// Measures every path for both shapes (flooding, then paced when `rate` > 0), prints the
    /// detail and returns the summary lines.
    func measureAll() async throws -> [BenchLine] {
        let home = try TemporaryDirectory(prefix: "sw-bench")
        defer { home.remove() }
        let bin = BenchBinaries.directory
        let dataHome = DataHome(root: home.url)
        let endpoints = Endpoints(home: dataHome, configuration: Configuration())
        let bus = try Child.start(bin.appendingPathComponent("spasmwatch-bus").path, [], home: home.url)
        defer { bus.terminate() }
        guard await Self.waitForSocket(endpoints.busSubscribe, of: bus) else {
            throw ValidationError("spasmwatch-bus did not start (its output: \(bus.text))")
        }
        let mosquitto = try await MosquittoBroker.start(in: home.url)
        defer { mosquitto?.child.terminate() }

        let mqttNote = mqttMessages != messages ? " (\(mqttMessages) for Mosquitto)" : ""
        print("Bus throughput, \(messages) messages per run\(mqttNote), publisher and subscriber in separate processes on local sockets")
        print("(ZeroMQ ipc through spasmwatch-bus's XSUB/XPUB proxy; Mosquitto \(mosquitto?.version ?? "") on a unix socket).")
        var lines: [BenchLine] = []
        for paced: Double in rate > 0 ? [0, rate] : [0] {
            print("")
            print(paced > 0 ? "Publishers paced at \(Int(paced)) msg/s:" : "Publishers flooding (as fast as each sends):")
            lines += try await measurePass(rate: paced, endpoints: endpoints, mosquitto: mosquitto)
        }
        print("")
        print("Each cell: messages per second received, from the subscriber's first message to its last, and the share the")
        print("publisher sent that the subscriber never received. The ZeroMQ reference publishers block at their high-water mark")
        print("(XPUB with ZMQ_XPUB_NODROP) instead of dropping, as the envelope publisher waits on its hand-off queue; the bus's")
        print("XPUB drops past a subscriber's high-water mark (\(Configuration().bus.highWaterMark)), Mosquitto past its default queue")
        print("limits. SWIFT WRAPPER: the same parts through Shared/ZeroMQ. SPASMWATCH ENVELOPES:")
        print("BusPublisher (stamps and encodes a JSON envelope per message, back-pressure on its hand-off queue) →")
        print("BusSubscriber (parses it, checks sequence numbers, hands it to async code); its 200 B row is a heartbeat-sized")
        print("envelope (the bytes are in the cell). MOSQUITTO: mosquitto with its defaults, libmosquitto clients.")
        if mosquitto == nil { print("Mosquitto was not measured: install it with  apt-get install mosquitto") }
        return lines
    }

    /// One pass over both shapes and every path at one publisher rate (0: flood).
    func measurePass(rate: Double, endpoints: Endpoints, mosquitto: MosquittoBroker?) async throws -> [BenchLine] {
        let reference = BenchBinaries.directory.appendingPathComponent("spasmwatch-bench-ref").path
        var rows: [[String]] = [
            ["MESSAGE", "RAW LIBZMQ (C)", "SWIFT WRAPPER", "SPASMWATCH ENVELOPES", "MOSQUITTO (C, QoS 0)", "ENV ÷ RAW", "ENV ÷ MQTT", "RAW ÷ MQTT"]
        ]
        var lines: [BenchLine] = []
        let n = "\(messages)"
        let idle = "\(idle)"
        let pace = "\(rate)"
        let how = rate > 0 ? ", paced \(Int(rate / 1000)) k/s" : ""
        for (shape, label) in [("small", "200 B, 1 part"), ("frame", "sensor frame, 3 parts (900 B)")] {
            let raw = try await measure(
                sub: [reference, "zmq-sub", endpoints.busSubscribe, n, shape, idle],
                pub: [reference, "zmq-pub", endpoints.busPublish, n, shape, pace])
            let swift = try await measure(
                sub: selfArgs("sub", endpoints.busSubscribe, shape, rate), pub: selfArgs("pub", endpoints.busPublish, shape, rate))
            let envelope = try await measure(
                sub: selfArgs("envelope-sub", endpoints.busSubscribe, shape, rate),
                pub: selfArgs("envelope-pub", endpoints.busPublish, shape, rate))
            var mqtt: Result?
            if let mosquitto {
                let m = "\(mqttMessages)"
                mqtt = try await measure(
                    sub: [reference, "mqtt-sub", mosquitto.socket, m, shape, idle],
                    pub: [reference, "mqtt-pub", mosquitto.socket, m, shape, pace], count: mqttMessages)
            }
            rows.append([
                label, raw.text, swift.text, envelope.text + (envelope.bytes.map { ", \($0) B" } ?? ""), mqtt?.text ?? "not installed",
                ratio(envelope, raw, percent: true), mqtt.map { ratio(envelope, $0) } ?? "-", mqtt.map { ratio(raw, $0) } ?? "-",
            ])
            let what = (shape == "small" ? "200 B" : "3-part frames") + how
            // Goals are checked on the flooding pass: it measures what each path can carry.
            let small = shape == "small"
            lines.append(
                line(
                    "\(what): envelopes", envelope, against: "raw libzmq C", raw, percent: true,
                    goal: rate > 0 ? "" : small ? "≥ 50% of raw C" : "≥ 80% of raw C", threshold: small ? 0.5 : 0.8))
            if let mqtt {
                lines.append(
                    line(
                        "\(what): envelopes", envelope, against: "Mosquitto C QoS 0", mqtt, percent: false,
                        goal: rate > 0 || !small ? "" : "≥ 1.5× Mosquitto", threshold: 1.5))
                lines.append(line("\(what): raw libzmq C", raw, against: "Mosquitto C QoS 0", mqtt, percent: false, goal: "", threshold: 0))
            }
            lines.append(line("\(what): Swift wrapper", swift, against: "raw libzmq C", raw, percent: true, goal: "", threshold: 0))
        }
        print(TextTable.render(rows))
        return lines
    }

    func line(_ what: String, _ figure: Result, against name: String, _ reference: Result, percent: Bool, goal: String, threshold: Double)
        -> BenchLine
    {
        let met: Bool? = goal.isEmpty ? nil : (reference.rate > 0 && figure.rate >= threshold * reference.rate)
        return BenchLine(
            area: "Bus", what: what, figure: figure.text, reference: "\(name) \(reference.text)",
            ratio: ratio(figure, reference, percent: percent), goal: goal, met: met)
    }

    func selfArgs(_ role: String, _ endpoint: String, _ shape: String, _ rate: Double) -> [String] {
        [
            BenchBinaries.directory.appendingPathComponent("spasmwatch-bench").path, "bus", "--role", role, "--endpoint", endpoint,
            "--shape", shape, "--messages", "\(messages)", "--idle", "\(idle)", "--rate", "\(rate)",
        ]
    }

    func ratio(_ a: Result, _ b: Result, percent: Bool = false) -> String {
        guard b.rate > 0, a.rate > 0 else { return "-" }
        return percent ? String(format: "%.0f%%", 100 * a.rate / b.rate) : String(format: "%.2f×", a.rate / b.rate)
    }

    struct Result {
        var sent: Int
        var received: Int
        var rate: Double
        /// Bytes per message, when the publisher says (the envelope publisher).
        var bytes: Int?
        var text: String {
            guard received > 0 else { return "nothing received" }
            let lost = sent > 0 ? 100 * Double(max(0, sent - received)) / Double(sent) : 0
            return String(format: "%.0f k/s, %.0f%% lost", rate / 1000, lost)
        }
    }

    /// Starts the subscriber and waits for its `ready`, then the publisher; waits for the
    /// publisher to finish and the subscriber to stop by itself (`--idle` after its last
    /// message), interrupting either that overstays. Both print what they counted.
    func measure(sub: [String], pub: [String], count: Int? = nil) async throws -> Result {
        let count = count ?? messages
        let subscriber = try Child.start(sub[0], Array(sub.dropFirst()), home: nil)
        defer { subscriber.terminate() }
        guard await subscriber.waitForLine("ready", timeout: 15) else { return Result(sent: 0, received: 0, rate: 0) }
        try await Task.sleep(for: .milliseconds(200))
        let publisher = try Child.start(pub[0], Array(pub.dropFirst()), home: nil)
        defer { publisher.terminate() }
        let slowest = Double(count) / (rate > 0 ? min(rate, 5_000) : 5_000)
        if !(await publisher.waitForExit(timeout: max(120, slowest * 1.5))) { await publisher.interrupt() }
        if !(await subscriber.waitForExit(timeout: Double(idle) / 1000 + 10)) { await subscriber.interrupt() }
        let sent = Self.number(after: "sent", in: publisher.text).map { Int($0) } ?? count
        let bytes = Self.number(after: "bytes", in: publisher.text).map { Int($0) }
        guard let received = Self.number(after: "received", in: subscriber.text), let seconds = Self.number(after: "seconds", in: subscriber.text),
            seconds > 0
        else { return Result(sent: sent, received: 0, rate: 0, bytes: bytes) }
        return Result(sent: sent, received: Int(received), rate: received / seconds, bytes: bytes)
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
    /// The loopback TCP listener's port, when one was asked for (spasmwatch-mqtt connects over TCP).
    var port: Int? = nil

    /// nil when `mosquitto` is not installed. `tcpPort`: a loopback listener beside the socket.
    static func start(in folder: URL, tcpPort: Int? = nil) async throws -> MosquittoBroker? {
        guard
            let program = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else { return nil }
        let socket = folder.appendingPathComponent("mqtt.sock").path
        var settings = "listener 0 \(socket)\nallow_anonymous true\npersistence false\n"
        if let tcpPort { settings += "listener \(tcpPort) 127.0.0.1\n" }
        // As root mosquitto drops to the user `mosquitto`, who cannot write our 0700 folder.
        if getuid() == 0 { settings += "user root\n" }
        let file = folder.appendingPathComponent("mosquitto.conf")
        try AtomicFile.write(settings, to: file)
        let child = try Child.start(program, ["-c", file.path], home: nil)
        if await child.waitForFile(socket, timeout: 5) {
            return MosquittoBroker(child: child, socket: socket, version: versionText(program), port: tcpPort)
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
    /// The bench's topics, which subscribers filter on so that the bus's own heartbeats
    /// (`heartbeat.spasmwatch-bus`, one a second) are neither counted nor timed.
    static let smallTopic = "bench.small"
    static let frameTopic = "sensor.frame.ankle-r"
    static func prefix(shape: String) -> String { shape == "small" ? "bench." : "sensor.frame." }

    static func payload(shape: String) -> (topic: Data, middle: Data, tail: Data?) {
        if shape == "small" { return (Data(smallTopic.utf8) + Data(repeating: 0x61, count: 200 - smallTopic.utf8.count), Data(), nil) }
        return (Data(frameTopic.utf8), Data(repeating: 0x7b, count: 300), Data(repeating: 1, count: 600))
    }

    /// A paced publisher waits until message `sent` is due (`start + sent / rate`), checked
    /// every 32 messages, as the C reference does; no pacing at rate 0.
    struct Pacer {
        let rate: Double
        let start = DispatchTime.now().uptimeNanoseconds
        func wait(sent: Int) {
            guard rate > 0, sent % 32 == 0 else { return }
            let due = start + UInt64(Double(sent) / rate * 1e9)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { Thread.sleep(forTimeInterval: Double(due - now) / 1e9) }
        }
    }

    /// Publishers print `ready` once connected and `sent N seconds S`; subscribers print `ready`
    /// once subscribed and `received N seconds S` (first message to last), stopping after `idle`
    /// seconds without one (or 30 s with none at all): the same protocol as the C references.
    static func run(role: String, endpoint: String, shape: String, count: Int, idle: Double, rate: Double) throws {
        let context = ZMQContext()
        defer { context.terminate() }
        func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        func goneIdle(_ received: Int, last: Date, ready: Date) -> Bool {
            received > 0 ? Date().timeIntervalSince(last) > idle : Date().timeIntervalSince(ready) > 30
        }
        switch role {
        case "pub":
            // As the C reference: XPUB with ZMQ_XPUB_NODROP (69) blocks at its high-water mark instead of dropping.
            let socket = try ZMQSocket(context: context, type: .xpub)
            try socket.setInt32Option(69, 1, "ZMQ_XPUB_NODROP")
            try socket.setSendHighWaterMark(200_000)
            try socket.setLinger(milliseconds: 5000)
            try socket.connect(endpoint)
            Thread.sleep(forTimeInterval: 1)
            say("ready")
            let p = payload(shape: shape)
            let frames = shape == "small" ? [p.topic] : [p.topic, p.middle, p.tail!]
            let start = Date()
            let pacer = Pacer(rate: rate)
            for sent in 0..<count {
                pacer.wait(sent: sent)
                try socket.send(frames)
            }
            say("sent \(count) seconds \(Date().timeIntervalSince(start))")
            socket.close()
        case "sub":
            let socket = try ZMQSocket(context: context, type: .sub)
            try socket.setReceiveHighWaterMark(200_000)
            try socket.subscribe(prefix(shape: shape))
            try socket.connect(endpoint)
            try socket.setReceiveTimeout(milliseconds: 100)
            say("ready")
            let ready = Date()
            var received = 0
            var first: Date?
            var last = Date()
            while received < count {
                guard try socket.receiveMultipart() != nil else {
                    if goneIdle(received, last: last, ready: ready) { break }
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
            let pacer = Pacer(rate: rate)
            for sent in 0..<count {
                pacer.wait(sent: sent)
                // Back-pressure on the hand-off queue instead of dropping.
                while publisher.pending > 500_000 { Thread.sleep(forTimeInterval: 0.001) }
                // Message ids as every service makes them (`publish` defaults to `.timeOrdered()`).
                if shape == "small" {
                    try publisher.publishEncoded(
                        topic: smallTopic, type: Heartbeat.messageType, id: .timeOrdered(), person: nil, bodyJSON: beatJSON)
                } else {
                    try publisher.publishEncoded(
                        topic: frameTopic, type: SensorFrame.messageType, id: .timeOrdered(), person: nil, bodyJSON: frameJSON,
                        payload: samples)
                }
            }
            while publisher.pending > 0 { Thread.sleep(forTimeInterval: 0.001) }
            // The bytes of one message as it goes on the wire (for the table; stamped after the run, never sent).
            let sample =
                shape == "small"
                ? try publisher.stamp(topic: smallTopic, type: Heartbeat.messageType, id: .timeOrdered(), person: nil, bodyJSON: beatJSON)
                : try publisher.stamp(
                    topic: frameTopic, type: SensorFrame.messageType, id: .timeOrdered(), person: nil, bodyJSON: frameJSON, payload: samples)
            say("sent \(count) seconds \(Date().timeIntervalSince(start)) bytes \(sample.reduce(0) { $0 + $1.count })")
            publisher.close()
        case "envelope-sub":
            let address = BusAddress(publish: "", subscribe: endpoint)
            let subscriber = try BusSubscriber(context: context, address: address, prefixes: [prefix(shape: shape)], queueCapacity: 200_000)
            say("ready")
            let ready = Date()
            var received = 0
            var first: Date?
            var last = Date()
            while received < count {
                let batch = subscriber.next(timeout: 0.1) ?? []
                if batch.isEmpty {
                    if goneIdle(received, last: last, ready: ready) { break }
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
