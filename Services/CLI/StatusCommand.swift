import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// `spasmwatch status`: which services are alive, with their counters, and the sensors seen.
struct StatusCommand: AsyncParsableCommand, ReportsWhetherRunning {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the services and sensors seen on the bus; exits 1 when an expected service is missing.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Seconds to listen for heartbeats.")
    var listen: Double = 2.5

    @Flag(help: "Print every counter of every service.")
    var verbose = false

    func run() async throws {
        let (home, configuration) = try options.load()
        let address = try BusAddress.resolve(home: home, configuration: configuration)
        let context = ZMQContext()
        let subscriber = try BusSubscriber(context: context, address: address, prefixes: [Topic.heartbeatPrefix])
        let listen = self.listen
        let beats: [String: Envelope<Heartbeat>] = await onBlockingPool {
            var latest: [String: Envelope<Heartbeat>] = [:]
            let deadline = Date().addingTimeInterval(listen)
            while Date() < deadline {
                for message in subscriber.next(timeout: 0.1) ?? [] {
                    if let beat = try? message.decode(Heartbeat.self) { latest[beat.body.instance] = beat }
                }
            }
            subscriber.close()
            context.terminate()
            return latest
        }
        let now = Date().timeIntervalSince1970
        print("SpasmWatch status — home \(home.root.path)")
        print("")
        let refusals = await StorageRefusals.statusLines(home: home)
        let warnings =
            Self.warnings(
                beats.values.map(\.body), busRunning: BusState.of(home, configuration: configuration) != .notRunning,
                home: home) + refusals
        if !warnings.isEmpty {
            print("Warnings:")
            for warning in warnings { print("  \(warning)") }
            print("")
        }
        var rows: [[String]] = [["SERVICE", "INSTANCE", "STATE", "PID", "UPTIME", "LAST SEEN", "COUNTERS"]]
        var missing: [String] = []
        var seenServices = Set<String>()
        for beat in beats.values.sorted(by: { ($0.body.service, $0.body.instance) < ($1.body.service, $1.body.instance) }) {
            let body = beat.body
            seenServices.insert(body.service)
            let age = now - beat.header.time
            let counters = body.counters.sorted { $0.key < $1.key }
                .filter { verbose || !$0.key.hasPrefix("bus.") || $0.key == "bus.gap_messages" }
                .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            rows.append([
                body.service, body.instance, age < 3 ? "alive" : "silent", "\(body.pid)",
                Format.duration(body.uptimeSeconds), String(format: "%.1fs ago", age), counters,
            ])
        }
        for service in configuration.servicesExpected where !seenServices.contains(service) {
            rows.append([service, "-", "MISSING", "-", "-", "-", ""])
            missing.append(service)
        }
        Format.printTable(rows)
        let info = beats.values.flatMap { beat in beat.body.info.map { ("\(beat.body.instance): \($0.key)", $0.value) } }
        if !info.isEmpty {
            print("")
            for (key, value) in info.sorted(by: { $0.0 < $1.0 })
            where !["publish", "subscribe"].contains(key.split(separator: " ").last.map(String.init) ?? "") && !key.contains(": warning.") {
                print("  \(key): \(value)")
            }
        }
        let sensors = beats.values.flatMap { $0.body.sensors ?? [] }
        if !sensors.isEmpty {
            print("")
            var sensorRows: [[String]] = [["SENSOR", "KIND", "PLACEMENT", "RATE", "LAST FRAME", "FRAMES", "REJECTED", "SAMPLES LOST", "MAX JITTER"]]
            for s in sensors.sorted(by: { $0.sensorId < $1.sensorId }) {
                sensorRows.append([
                    s.sensorId, s.kind.rawValue, s.placement.rawValue, String(format: "%.0f Hz", s.sampleRate),
                    String(format: "%.1fs ago", now - s.lastFrameTime), "\(s.framesAccepted)",
                    "\(s.framesRejected)", "\(s.samplesLost)", String(format: "%.1f ms", s.maxJitterMs),
                ])
            }
            Format.printTable(sensorRows)
        }
        let lossLines = await Self.frameLoss(home: home, configuration: configuration)
        if !lossLines.isEmpty {
            print("")
            print("Loss between sensor ingestion and storage:")
            for line in lossLines { print("  \(line)") }
        }
        do {
            print("")
            print("Endpoints:")
            for (name, value) in Endpoints(home: home, configuration: configuration).table {
                print("  \(name.padding(toLength: 38, withPad: " ", startingAt: 0)) \(value)")
            }
        }
        if beats.isEmpty {
            print("")
            print("No heartbeats: is the stack running? Start it with `deploy/stack up` (or `deploy/stack up --demo`).")
        }
        if !missing.isEmpty {
            throw ExitCode(1)
        }
    }
}

extension StatusCommand {
    /// Every `warning.*` of every service heard (each sentence once, with who said it), and
    /// what status sees itself: no bus, or notify reporting no caregiver.
    static func warnings(_ beats: [Heartbeat], busRunning: Bool, home: DataHome) -> [String] {
        var sentences: [(String, [String])] = []
        func add(_ sentence: String, from service: String) {
            if let index = sentences.firstIndex(where: { $0.0 == sentence }) {
                if !sentences[index].1.contains(service) { sentences[index].1.append(service) }
            } else {
                sentences.append((sentence, [service]))
            }
        }
        if !busRunning { add(HomeCheck.notRunning(home), from: "status") }
        for beat in beats.sorted(by: { ($0.service, $0.instance) < ($1.service, $1.instance) }) {
            for (key, value) in beat.info.sorted(by: { $0.key < $1.key }) where key.hasPrefix("warning.") && !value.isEmpty {
                add(value, from: beat.service)
            }
            // Until every notify reports warning.caregiver itself: its caregivers list says it.
            if beat.service == ServiceName.notify, beat.info["caregivers"] == "none" {
                add(NotifyRules.noCaregiverWarning, from: beat.service)
            }
        }
        var lines: [String] = []
        for (sentence, services) in sentences {
            lines.append(services == ["status"] ? sentence : "\(sentence)  [\(services.joined(separator: ", "))]")
            if sentence == NotifyRules.noCaregiverWarning {
                lines.append("  set one up: spasmwatch setup caregiver NAME --ntfy https://ntfy.example.lan/TOPIC --after 90s")
            }
        }
        return lines
    }
}

/// Small text-formatting helpers for terminal output.
enum Format {
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3600)h\((s % 3600) / 60)m" }
        return "\(s / 86400)d"
    }

    static func printTable(_ rows: [[String]]) {
        print(table(rows))
    }

    /// Rows as aligned columns (the last column is not padded).
    static func table(_ rows: [[String]]) -> String {
        TextTable.render(rows)
    }
}

extension StatusCommand {
    /// Frames accepted by sensor ingestion and never stored (FrameLoss); empty when none, or
    /// when ingestion does not answer (the table above shows it missing).
    static func frameLoss(home: DataHome, configuration: Configuration) async -> [String] {
        let endpoint = Endpoints(home: home, configuration: configuration).sensorRequests
        let client = RequestClient<SensorRequest, SensorReply>(context: ProcessContext.shared, endpoint: endpoint)
        guard let reply = try? await client.ask(SensorRequest(op: .list), timeout: 3), let accepted = reply.acceptedFrames else { return [] }
        let loss = await FrameLoss.fetch(accepted: accepted, home: home, configuration: configuration)
        return loss.statusLines
    }
}
