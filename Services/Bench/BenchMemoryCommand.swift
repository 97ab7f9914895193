import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmStore
import SpasmSync
import ZeroMQ

/// `spasmwatch-bench memory`: the whole stack on a temporary home, each service's resident
/// memory idle after start-up and under simulated sensors (`spasmwatch-sensor simulate`, as the
/// demo feeds them), beside two references started the same way in the same run: a trivial
/// process (`sleep`) and a C subscriber (libzmq) receiving the same bus traffic.
struct BenchMemoryCommand: AsyncParsableCommand, BenchSuitePart {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Resident memory of each service, idle and under simulated sensors, beside a trivial process and a C subscriber.")

    @Option(help: "Simulated sensors (mixed IMU 100 Hz and EMG 1000 Hz, the demo's scenario).")
    var sensors: Int = 100

    @Option(help: "Seconds of load.")
    var seconds: Double = 40

    @Option(help: "Seconds to let the services start before the idle reading.")
    var settle: Double = 8

    /// Every service of a home: the six of the demo, the metrics exporter, and spasmwatch-mqtt
    /// on a Mosquitto broker started for the run (skipped, and said so, when `mosquitto` is not
    /// installed).
    static let services = [
        "spasmwatch-bus", "spasmwatch-store", "spasmwatch-sensor", "spasmwatch-manual", "spasmwatch-detect", "spasmwatch-notify",
        "spasmwatch-metrics", "spasmwatch-mqtt",
    ]
    static let goalBytes: Int64 = 50 * 1024 * 1024

    func run() async throws {
        _ = try await Self.measure(sensors: sensors, seconds: seconds, settle: settle)
    }

    /// 100 sensors as the command, a shorter load (the peak is reached within seconds).
    static func runForSuite() async throws -> [BenchLine] {
        try await measure(sensors: 100, seconds: 25, settle: 6)
    }

    /// Prints the detail; returns a line per service (idle and under load beside the C
    /// subscriber, goal ≤ 50 MB) and the bytes per sample the simulated sensors left on disk.
    static func measure(sensors: Int, seconds: Double, settle: Double) async throws -> [BenchLine] {
        let home = try TemporaryDirectory(prefix: "sw-bench-memory")
        defer { home.remove() }
        let bin = BenchBinaries.directory
        var started: [Child] = []
        defer { for child in started.reversed() { child.terminate() } }
        let broker = try await MosquittoBroker.start(in: home.url, tcpPort: FreePort.tcp(on: "127.0.0.1"))
        defer { broker?.child.terminate() }
        if broker == nil { print("mosquitto is not installed: spasmwatch-mqtt is left out (apt-get install mosquitto)") }
        // HTTP on ports the system picks, so a running stack (or another bench) is no obstacle.
        let mqtt = broker.map { #", "mqtt": {"url": "mqtt://127.0.0.1:\#($0.port ?? 0)"}"# } ?? ""
        try #"{"sensor": {"httpPort": 0}, "manual": {"httpPort": 0}, "metrics": {"httpPort": 0}\#(mqtt)}"#.write(
            to: home.url.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        for name in Self.services where name != "spasmwatch-mqtt" || broker != nil {
            started.append(try Child.start(bin.appendingPathComponent(name).path, [], home: home.url))
            if name == "spasmwatch-bus" { try await Task.sleep(for: .seconds(1)) }
        }
        let dataHome = DataHome(root: home.url)
        let endpoints = Endpoints(home: dataHome, configuration: Configuration())
        let sleeper = try Child.start("/bin/sleep", ["3600"], home: home.url)
        let subscriber = try Child.start(
            bin.appendingPathComponent("spasmwatch-bench-ref").path, ["zmq-sub", endpoints.busSubscribe, "1000000000000", "3600000"],
            home: home.url)
        started += [sleeper, subscriber]
        try await Task.sleep(for: .seconds(settle))
        for child in started where !child.process.isRunning {
            throw ValidationError("\(child.name) exited during start-up (status \(child.process.terminationStatus))")
        }
        var rows = started.map { MemoryRow(name: $0.name, pid: $0.process.processIdentifier) }
        rows[rows.count - 2].name = "reference: sleep (trivial process)"
        rows[rows.count - 1].name = "reference: C zmq-sub on the bus (libzmq)"
        for i in rows.indices { rows[i].idle = ProcStatus.read(pid: rows[i].pid)?.rss }

        let simulator = try Child.start(
            bin.appendingPathComponent("spasmwatch-sensor").path,
            ["simulate", "--sensors", "\(sensors)", "--duration", "\(Int(seconds))", "--speed", "1"], home: home.url)
        defer { simulator.terminate() }
        let deadline = Date().addingTimeInterval(seconds + 30)
        var simulatorPeak: Int64 = 0
        while simulator.process.isRunning && Date() < deadline {
            try await Task.sleep(for: .seconds(1))
            for i in rows.indices {
                if let status = ProcStatus.read(pid: rows[i].pid) { rows[i].load = max(rows[i].load ?? 0, status.rss) }
            }
            simulatorPeak = max(simulatorPeak, ProcStatus.read(pid: simulator.process.processIdentifier)?.hwm ?? 0)
        }
        try await Task.sleep(for: .seconds(2))  // the last frames reach the store
        for i in rows.indices { rows[i].hwm = ProcStatus.read(pid: rows[i].pid)?.hwm }
        let stored = await Self.framesStored(endpoint: endpoints.storeQuery)
        let sent = simulator.text.split(separator: "\n").last { $0.hasPrefix("sent ") }
            .map { line in line.split(separator: " ").compactMap { Int($0) }.reduce(0, +) }
        for child in started.reversed() { await child.interrupt() }
        print(
            Self.report(
                rows: rows, sensors: sensors, seconds: seconds, sent: sent, stored: stored, simulatorPeak: simulatorPeak))
        // The frames as the simulated sensors sent them, in the store's file once it stopped.
        let disk = try RawFrameBytes.measure(
            raw: AppDatabase.rawURL(for: dataHome.database), emptyStore: home.url.appendingPathComponent("empty/spasmwatch.sqlite"))
        print(disk.report())
        return lines(rows: rows, sensors: sensors) + [disk.line(what: "raw frames on disk (\(sensors) simulated sensors)")]
    }

    static func lines(rows: [MemoryRow], sensors: Int) -> [BenchLine] {
        func mb(_ bytes: Int64?) -> String { bytes.map { String(format: "%.1f MB", Double($0) / 1_048_576) } ?? "gone" }
        let reference = rows.last?.load ?? rows.last?.idle
        return rows.filter { services.contains($0.name) }.map { row in
            var ratio = "-"
            if let load = row.load, let reference { ratio = String(format: "%.1f×", Double(load) / Double(max(reference, 1))) }
            return BenchLine(
                area: "Memory", what: "\(row.name) RSS, idle / \(sensors) sensors", figure: "\(mb(row.idle)) / \(mb(row.load))",
                reference: "C libzmq subscriber on the bus \(mb(reference))", ratio: ratio, goal: "≤ 50 MB under load",
                met: (row.load ?? .max) <= goalBytes)
        }
    }

    struct MemoryRow {
        var name: String
        var pid: Int32
        var idle: Int64?, load: Int64?, hwm: Int64?
    }

    static func report(rows: [MemoryRow], sensors: Int, seconds: Double, sent: Int?, stored: Int?, simulatorPeak: Int64) -> String {
        func mb(_ bytes: Int64?) -> String { bytes.map { String(format: "%.1f MB", Double($0) / 1_048_576) } ?? "gone" }
        let reference = rows.last?.load ?? rows.last?.idle
        var table: [[String]] = [["PROCESS", "IDLE RSS", "UNDER LOAD (MAX RSS)", "PEAK (HWM)", "× C SUB", "GOAL ≤ 50 MB"]]
        for row in rows {
            let isService = services.contains(row.name)
            var ratio = "-"
            if let load = row.load, let reference { ratio = String(format: "%.1f×", Double(load) / Double(max(reference, 1))) }
            let goal = isService ? ((row.load ?? .max) <= goalBytes ? "met" : "MISSED") : ""
            table.append([row.name, mb(row.idle), mb(row.load), mb(row.hwm), ratio, goal])
        }
        var text = "Memory: the whole stack on a temporary home; \(sensors) simulated sensors (mixed IMU/EMG) for \(Int(seconds)) s in real time\n\n"
        text += TextTable.render(table) + "\n\n"
        text += "RSS is VmRSS from /proc/PID/status (read idle after start-up, then every second under load, the largest kept);\n"
        text += "PEAK is VmHWM at the end (start-up included). The references are started the same way (through\n"
        text += "spasmwatch-bench-ref guard): `sleep`, and a C libzmq subscriber that receives every message of the bus.\n"
        text +=
            "Load: \(sent.map { "\($0) frames sent" } ?? "frames sent unknown"), \(stored.map { "\($0) frames stored" } ?? "frames stored unknown");"
        text += " the simulator itself peaked at \(mb(simulatorPeak)).\n"
        #if DEBUG
            text += "\nThis is a debug build: build with `swift build -c release` for real figures.\n"
        #endif
        return text
    }

    /// Frames in the store's raw table, through its query endpoint (nil when it does not answer).
    static func framesStored(endpoint: String) async -> Int? {
        let context = ZMQContext()
        let client = StoreClient(context: context, endpoint: endpoint, timeoutSeconds: 10)
        let rows = try? await client.send(StoreRequest(query: .info)).info?.rows["sensor_frame"]
        await onBlockingPool { context.terminate() }
        return rows ?? nil
    }
}

/// Resident memory of a process, from the `VmRSS` and `VmHWM` lines of /proc/PID/status.
enum ProcStatus {
    static func read(pid: Int32) -> (rss: Int64, hwm: Int64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return parse(text)
    }

    /// Bytes of `VmRSS` and `VmHWM` ("VmRSS:\t  12345 kB"); nil when either is missing
    /// (a kernel thread, or a process that already exited).
    static func parse(_ text: String) -> (rss: Int64, hwm: Int64)? {
        var values: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard parts.count >= 3, parts[0] == "VmRSS" || parts[0] == "VmHWM", parts[2] == "kB", let kb = Int64(parts[1]) else { continue }
            values[String(parts[0])] = kb * 1024
        }
        guard let rss = values["VmRSS"], let hwm = values["VmHWM"] else { return nil }
        return (rss, hwm)
    }
}
