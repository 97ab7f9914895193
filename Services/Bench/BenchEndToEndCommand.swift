import ArgumentParser
import Foundation
import Histogram
import SpasmBus
import SpasmConfig
import SpasmRuntime
import SpasmSchema
import SpasmSync
import Synchronization
import ZeroMQ

/// `spasmwatch-bench e2e`: the whole stack on a temporary home (bus, sensor ingestion, manual,
/// detection, storage, notify with a file channel and no grouping wait), fed by
/// `spasmwatch-sensor simulate` in real time with 10, 100 and 1,000 sensors in turn. A bare
/// subscriber in this process sees every frame, episode and heartbeat on the bus; a thread
/// follows the file channel's JSON lines. Measured per sensor count:
/// - samples per second stored, with every sample accounted for (sent by the simulator =
///   stored + rejected by ingestion + counted lost by storage's sequence gaps);
/// - latency from the bus publication of the frame that holds an episode's `detectedAt`
///   (that frame's envelope `time`, stamped by ingestion) to (a) the episode onset on the bus
///   and (b) its notification in the file, through HdrHistogram;
/// - the reference: the same frames' own transit from their publication to this subscriber.
struct BenchEndToEndCommand: AsyncParsableCommand, BenchSuitePart {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "End to end: samples/s with every sample accounted for, and frame-to-episode and frame-to-notification latency.")

    @Option(parsing: .upToNextOption, help: "Simulated sensor counts, one run each (mixed IMU 100 Hz and EMG 1000 Hz).")
    var sensors: [Int] = [10, 100, 1000]

    @Option(help: "Seconds of real-time signal per sensor count.")
    var seconds: Double = 30

    func run() async throws {
        let lines = try await Self.measure(counts: sensors, seconds: seconds)
        print("")
        print(BenchLine.render(lines))
    }

    static func runForSuite() async throws -> [BenchLine] {
        try await measure(counts: [10, 100, 1000], seconds: 30)
    }

    static let services = [
        "spasmwatch-bus", "spasmwatch-store", "spasmwatch-sensor", "spasmwatch-manual", "spasmwatch-detect", "spasmwatch-notify",
    ]

    static func measure(counts: [Int], seconds: Double) async throws -> [BenchLine] {
        let home = try TemporaryDirectory(prefix: "sw-bench-e2e")
        defer { home.remove() }
        let notifications = home.url.appendingPathComponent("notifications.jsonl")
        // HTTP on ports the system picks; room for the 1,110 sensors of the three runs (the
        // default cap is 1,024); notify sends each alert without a grouping wait to one receiver
        // whose only channel is the file.
        try AtomicFile.write(
            #"{"sensor": {"httpPort": 0, "maxSensors": 2048}, "manual": {"httpPort": 0}, "notify": {"groupWaitSeconds": 0, "repeatIntervalSeconds": 0}}"#,
            to: home.url.appendingPathComponent("config.json"))
        try AtomicFile.write(
            #"{"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "file", "path": "\#(notifications.path)"}]}], "routes": [{"receivers": ["me"]}]}"#,
            to: home.url.appendingPathComponent("notify.json"))
        let bin = BenchBinaries.directory
        let dataHome = DataHome(root: home.url)
        let endpoints = Endpoints(home: dataHome, configuration: try ConfigurationLoader.load(home: dataHome))
        var started: [Child] = []
        defer { for child in started.reversed() { child.terminate() } }
        for name in services {
            let child = try Child.start(bin.appendingPathComponent(name).path, [], home: home.url, withErrors: true)
            started.append(child)
            if name == "spasmwatch-bus", !(await child.waitForFile(String(endpoints.busPublish.dropFirst("ipc://".count)), timeout: 10)) {
                throw ValidationError("spasmwatch-bus did not start: \(child.text)")
            }
        }
        let observer = try Observer(endpoints: endpoints, notifications: notifications)
        defer { observer.stop() }
        // Every service has sent a heartbeat: they are all up and subscribed.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, observer.counters(of: "spasmwatch-notify") == nil || observer.counters(of: "spasmwatch-detect") == nil {
            try await Task.sleep(for: .milliseconds(100))
        }
        for child in started where !child.process.isRunning {
            throw ValidationError("\(child.name) exited during start-up (status \(child.process.terminationStatus)): \(child.text)")
        }
        try await Task.sleep(for: .seconds(1.5))
        var lines: [BenchLine] = []
        var reports: [String] = []
        for count in counts {
            let phase = try await runPhase(sensors: count, seconds: seconds, observer: observer, bin: bin, home: home.url, services: started)
            reports.append(phase.report)
            lines += phase.lines
            for child in started where !child.process.isRunning {
                throw ValidationError("\(child.name) exited under load (status \(child.process.terminationStatus)): \(child.text.suffix(2000))")
            }
        }
        print(
            "End to end: the whole stack on a temporary home; `spasmwatch-sensor simulate` (mixed IMU 100 Hz × 3 axes, EMG 1000 Hz × 1),"
        )
        print("demo scenario, real time, \(Int(seconds)) s per sensor count; notify → file channel, groupWaitSeconds 0.\n")
        for report in reports { print(report) }
        print(explanation)
        #if DEBUG
            print("\nThis is a debug build: build with `swift build -c release` for real figures.")
        #endif
        return lines
    }

    static let explanation = """
        Samples are values (one per axis or channel). "Accounted" = stored by spasmwatch-store (its heartbeat's
        store.frames) + rejected by ingestion (frames.rejected) + counted lost by storage (bus.gap_messages,
        bus.dropped_queue_full); "unaccounted" is what the simulator sent minus all of these.
        Latency starts at the bus publication of the frame that holds the episode's detectedAt (the frame's
        envelope time, stamped by spasmwatch-sensor as it republishes it) and ends when this process sees
        (a) the episode onset on the bus, (b) its first notification line in the file (polled every 1 ms).
        The reference is the bus alone: the same frames, from their publication to this bare subscriber.
        Producer → ingestion (the simulator's frames, REQ/REP) is before the start and is not counted.
        """

    struct Phase {
        var lines: [BenchLine]
        var report: String
    }

    static func runPhase(sensors count: Int, seconds: Double, observer: Observer, bin: URL, home: URL, services: [Child]) async throws -> Phase {
        let prefix = "e2e\(count)"
        let before = observer.snapshot()
        let cpuBefore = services.map { ProcessCPU.seconds(pid: $0.process.processIdentifier) ?? 0 }
        let ownBefore = ProcessCPU.seconds(pid: getpid()) ?? 0
        observer.begin(prefix: prefix + "-")
        let simulator = try Child.start(
            bin.appendingPathComponent("spasmwatch-sensor").path,
            ["simulate", "--sensors", "\(count)", "--duration", "\(Int(seconds))", "--speed", "1", "--prefix", prefix], home: home)
        defer { simulator.terminate() }
        let started = Date()
        // Its CPU time is read while it runs (its /proc entry goes when it exits).
        var simulatorCPU: Double?
        while simulator.process.isRunning, Date().timeIntervalSince(started) < seconds + 40 {
            simulatorCPU = ProcessCPU.seconds(pid: simulator.process.processIdentifier) ?? simulatorCPU
            try await Task.sleep(for: .milliseconds(250))
        }
        _ = await simulator.waitForExit(timeout: 1)
        let elapsed = Date().timeIntervalSince(started)
        // The last frames and episodes reach storage and notify; two fresh heartbeats follow.
        var stored = -1
        var settled = Date()
        while Date().timeIntervalSince(settled) < 2.5 {
            try await Task.sleep(for: .milliseconds(250))
            let now = Int(observer.snapshot()["spasmwatch-store"]?["store.frames"] ?? 0)
            if now != stored {
                stored = now
                settled = Date()
            }
        }
        let after = observer.snapshot()
        let result = observer.end()
        var cpu = zip(services, cpuBefore).map { child, before in
            "\(child.name.replacingOccurrences(of: "spasmwatch-", with: "")) \(String(format: "%.1f", (ProcessCPU.seconds(pid: child.process.processIdentifier) ?? before) - before))"
        }
        cpu.append("simulator \(simulatorCPU.map { String(format: "%.1f", $0) } ?? "?")")
        cpu.append("this bench \(String(format: "%.1f", (ProcessCPU.seconds(pid: getpid()) ?? ownBefore) - ownBefore))")
        func delta(_ service: String, _ counter: String) -> Int64 {
            (after[service]?[counter] ?? 0) - (before[service]?[counter] ?? 0)
        }
        // What the simulator sent: "sent ID: N frames, ..."; even sensors are IMU (25 × 3 values
        // per frame), odd ones EMG (100 × 1).
        var sentFrames = 0
        var sentValues = 0
        if let line = simulator.text.split(separator: "\n").last(where: { $0.hasPrefix("sent ") }) {
            for item in line.dropFirst(5).split(separator: ",") {
                let parts = item.split(separator: ":")
                guard parts.count == 2, let n = Int(parts[1].split(separator: " ").first ?? "") else { continue }
                let index = Int(parts[0].split(separator: "-").dropFirst().first ?? "") ?? 0
                sentFrames += n
                sentValues += n * (index % 2 == 0 ? 75 : 100)
            }
        }
        let storedFrames = Int(delta("spasmwatch-store", "store.frames"))
        let rejected = Int(delta("spasmwatch-sensor", "frames.rejected"))
        let lost = Int(delta("spasmwatch-store", "bus.gap_messages") + delta("spasmwatch-store", "bus.dropped_queue_full"))
        let unaccounted = sentFrames - storedFrames - rejected - lost
        let valuesPerFrame = sentFrames > 0 ? Double(sentValues) / Double(sentFrames) : 0
        let storedRate = Double(storedFrames) * valuesPerFrame / seconds
        let offeredRate = Double(sentValues) / seconds

        func ms(_ micros: UInt64) -> String { String(format: "%.1f", Double(micros) / 1000) }
        func summary(_ h: Histogram<UInt64>) -> String {
            h.totalCount == 0
                ? "none seen"
                : "p50 \(ms(h.valueAtPercentile(50))) / p99 \(ms(h.valueAtPercentile(99))) / max \(ms(h.max)) ms (n \(h.totalCount))"
        }
        func ratio(_ a: Histogram<UInt64>, _ b: Histogram<UInt64>) -> String {
            guard a.totalCount > 0, b.totalCount > 0 else { return "-" }
            return String(format: "%.1f×", Double(a.valueAtPercentile(99)) / Double(max(1, b.valueAtPercentile(99))))
        }
        let bus = result.busTransit
        var lines: [BenchLine] = []
        let rateGoal = count == 1000
        lines.append(
            BenchLine(
                area: "End to end", what: "\(count) sensors, samples stored",
                figure: String(format: "%.0f k samples/s, %d unaccounted of %d frames", storedRate / 1000, unaccounted, sentFrames),
                reference: String(format: "offered by the simulator %.0f k/s", offeredRate / 1000),
                ratio: offeredRate > 0 ? String(format: "%.0f%%", 100 * storedRate / offeredRate) : "-",
                goal: rateGoal ? "≥ 1 M samples/s, none unaccounted" : "",
                met: rateGoal ? (storedRate >= 1_000_000 && unaccounted == 0) : nil))
        lines.append(
            BenchLine(
                area: "End to end", what: "\(count) sensors, frame → episode on bus", figure: summary(result.toEpisode),
                reference: "bus alone p99 \(bus.totalCount > 0 ? ms(bus.valueAtPercentile(99)) : "-") ms", ratio: ratio(result.toEpisode, bus)))
        let latencyGoal = count == 100
        lines.append(
            BenchLine(
                area: "End to end", what: "\(count) sensors, frame → notification (file)", figure: summary(result.toNotification),
                reference: "bus alone p99 \(bus.totalCount > 0 ? ms(bus.valueAtPercentile(99)) : "-") ms",
                ratio: ratio(result.toNotification, bus), goal: latencyGoal ? "p99 ≤ 50 ms" : "",
                met: latencyGoal ? (result.toNotification.totalCount > 0 && result.toNotification.valueAtPercentile(99) <= 50_000) : nil))

        var text = "\(count) sensors (\(String(format: "%.0f", elapsed)) s with start-up):\n"
        text += "  frames: sent \(sentFrames), stored \(storedFrames), rejected \(rejected), counted lost \(lost), unaccounted \(unaccounted);"
        text += " seen on the bus by this subscriber \(result.frames) (its own gaps \(result.gaps))\n"
        text += String(
            format: "  samples: offered %.0f k/s, stored %.0f k/s; detection processed %lld samples (time points)\n", offeredRate / 1000,
            storedRate / 1000, delta("spasmwatch-detect", "samples.processed"))
        text +=
            "  episode onsets \(result.onsets) (matched to their frame \(result.toEpisode.totalCount)), notifications \(result.toNotification.totalCount)\n"
        text += "  frame → episode on bus:      \(summary(result.toEpisode))\n"
        text += "  frame → notification (file): \(summary(result.toNotification))\n"
        text += "    of which critical (falls):  \(summary(result.toCritical))\n"
        text += "  bus alone (same frames):     \(summary(bus))\n"
        text += "  CPU seconds in this run (of \(String(format: "%.0f", 2 * elapsed)) on 2 cores): \(cpu.joined(separator: ", "))\n"
        text += "  simulator lag (frame's last sample due → frame on the bus, not in the figures): \(summary(result.producerLag))\n"
        return Phase(lines: lines, report: text)
    }
}

/// This process's view of the run: a bare subscriber on the bus (frames, episodes, heartbeats)
/// on its own thread, and a thread following the notification file.
final class Observer: Sendable {
    struct FrameTime {
        var first: Double
        var end: Double
        var published: Double
    }
    struct State {
        var prefix = "\u{0}"
        var counters: [String: [String: Int64]] = [:]
        var recent: [String: [FrameTime]] = [:]
        var frames = 0
        var onsets = 0
        /// Episode id → the publication time of the frame that holds its detectedAt.
        var episodeStart: [UUID: Double] = [:]
        var episodeSeen: [UUID: Double] = [:]
        /// Episode id → when its first notification line was read, and whether it was critical.
        var notified: [UUID: (at: Double, critical: Bool)] = [:]
        var busTransit = Histogram<UInt64>(highestTrackableValue: 120_000_000)
        var producerLag = Histogram<UInt64>(highestTrackableValue: 120_000_000)
        var gapsAtBegin: UInt64 = 0
    }
    struct Result {
        var frames: Int
        var onsets: Int
        var gaps: UInt64
        var busTransit: Histogram<UInt64>
        var producerLag: Histogram<UInt64>
        var toEpisode: Histogram<UInt64>
        var toNotification: Histogram<UInt64>
        /// The critical ones only (falls: notify sends them at once, the others on its next tick).
        var toCritical: Histogram<UInt64>
    }

    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)
    private let context = ZMQContext()
    private let subscriber: BusSubscriber
    /// The bus and file threads still running.
    private let running = Atomic<Int>(2)

    init(endpoints: Endpoints, notifications: URL) throws {
        subscriber = try BusSubscriber(
            context: context, address: BusAddress(publish: endpoints.busPublish, subscribe: endpoints.busSubscribe),
            prefixes: ["sensor.frame.", "episode.", "heartbeat."], queueCapacity: 1_000_000)
        let bus = Thread { [self] in
            while !stopped.load(ordering: .relaxed), let batch = subscriber.next(timeout: 0.2) {
                for message in batch { handle(message, at: Date().timeIntervalSince1970) }
            }
            running.subtract(1, ordering: .relaxed)
        }
        let file = Thread { [self] in
            follow(notifications)
            running.subtract(1, ordering: .relaxed)
        }
        bus.start()
        file.start()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        subscriber.close()
        while running.load(ordering: .relaxed) > 0 { Thread.sleep(forTimeInterval: 0.02) }
        context.terminate()
    }

    func counters(of service: String) -> [String: Int64]? { state.withLock { $0.counters[service] } }
    func snapshot() -> [String: [String: Int64]] { state.withLock { $0.counters } }

    /// Starts counting the frames and episodes of sensors whose id begins with `prefix`.
    func begin(prefix: String) {
        let gaps = subscriber.totalMissing
        state.withLock {
            let counters = $0.counters
            $0 = State()
            $0.counters = counters
            $0.prefix = prefix
            $0.gapsAtBegin = gaps
        }
    }

    func end() -> Result {
        let gaps = subscriber.totalMissing
        return state.withLock { s in
            var toEpisode = Histogram<UInt64>(highestTrackableValue: 120_000_000)
            var toNotification = Histogram<UInt64>(highestTrackableValue: 120_000_000)
            var toCritical = Histogram<UInt64>(highestTrackableValue: 120_000_000)
            for (id, start) in s.episodeStart {
                if let seen = s.episodeSeen[id] { _ = toEpisode.record(Self.micros(seen - start)) }
                if let note = s.notified[id] {
                    _ = toNotification.record(Self.micros(note.at - start))
                    if note.critical { _ = toCritical.record(Self.micros(note.at - start)) }
                }
            }
            let result = Result(
                frames: s.frames, onsets: s.onsets, gaps: gaps - s.gapsAtBegin, busTransit: s.busTransit, producerLag: s.producerLag,
                toEpisode: toEpisode, toNotification: toNotification, toCritical: toCritical)
            s.prefix = "\u{0}"
            return result
        }
    }

    static func micros(_ seconds: Double) -> UInt64 { UInt64(max(0, min(seconds, 119)) * 1_000_000) }

    private func handle(_ message: BusMessage, at now: Double) {
        if message.topic.hasPrefix("sensor.frame.") {
            guard let frame = try? message.decode(SensorFrame.self).body else { return }
            let published = message.header.time
            let end = frame.firstSampleTime + Double(frame.sampleCount) / frame.sampleRate
            state.withLock { s in
                guard frame.sensorId.hasPrefix(s.prefix) else { return }
                s.frames += 1
                _ = s.busTransit.record(Self.micros(now - published))
                _ = s.producerLag.record(Self.micros(now - end))
                // In place (no copy of the list per frame); the last 500–600 frames are kept.
                s.recent[frame.sensorId, default: []].append(FrameTime(first: frame.firstSampleTime, end: end, published: published))
                if s.recent[frame.sensorId, default: []].count > 600 { s.recent[frame.sensorId, default: []].removeFirst(100) }
            }
        } else if message.topic.hasPrefix("episode.") {
            guard let event = try? message.decode(EpisodeEvent.self).body, event.phase == .onset else { return }
            state.withLock { s in
                guard event.sensorId.hasPrefix(s.prefix) else { return }
                s.onsets += 1
                // The frame that holds detectedAt (the earlier one when it falls on a boundary).
                let at = event.detectedAt
                guard let frame = s.recent[event.sensorId]?.first(where: { $0.first <= at + 1e-6 && at <= $0.end + 1e-6 }) else { return }
                s.episodeStart[event.episodeId] = frame.published
                s.episodeSeen[event.episodeId] = now
            }
        } else if message.topic.hasPrefix("heartbeat."), let beat = try? message.decode(Heartbeat.self).body {
            state.withLock { $0.counters[beat.service] = beat.counters }
        }
    }

    /// Reads the file's new lines every millisecond; each notification's alerts name their
    /// episode.
    private func follow(_ url: URL) {
        var offset: UInt64 = 0
        var pending = Data()
        while !stopped.load(ordering: .relaxed) {
            usleep(1000)
            guard let handle = FileHandle(forReadingAtPath: url.path) else { continue }
            defer { try? handle.close() }
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { continue }
            let now = Date().timeIntervalSince1970
            offset += UInt64(data.count)
            pending.append(data)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[pending.index(after: newline)...])
                guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                    let alerts = object["alerts"] as? [[String: Any]]
                else { continue }
                let ids = alerts.compactMap { alert in
                    (alert["episodeId"] as? String).flatMap(UUID.init(uuidString:)).map { ($0, alert["severity"] as? String == "critical") }
                }
                state.withLock { s in
                    for (id, critical) in ids where s.notified[id] == nil { s.notified[id] = (now, critical) }
                }
            }
        }
    }
}

/// CPU time a process has used (user + system), from /proc/PID/stat.
enum ProcessCPU {
    static func seconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
