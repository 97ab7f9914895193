import Foundation
import SpasmSchema
import SpasmTestSupport
import Testing

/// spasmwatch-metrics as a real process beside the real services: `/metrics` scraped over real
/// HTTP and read by the Prometheus text parser of `prometheus_client` (Python), a refused frame
/// counted under its reason, a notification under its channel, a stopped service at 0; the
/// Grafana dashboard's queries against a real scrape; and from a second host, nothing without
/// TLS and the token.
@Suite("Metrics exporter processes", .serialized)
struct MetricsProcessTests {
    /// Every family the exporter serves and its type (docs/metrics.md lists the same).
    static let families: [String: String] = [
        "spasmwatch_frames_accepted_total": "counter", "spasmwatch_frames_rejected_total": "counter",
        "spasmwatch_samples_lost_total": "counter", "spasmwatch_episodes_total": "counter", "spasmwatch_alerts_total": "counter",
        "spasmwatch_deliveries_total": "counter", "spasmwatch_store_commits_total": "counter",
        "spasmwatch_bus_messages_lost_total": "counter", "spasmwatch_outbox_pending_messages": "gauge",
        "spasmwatch_detection_lag_p50_seconds": "gauge", "spasmwatch_detection_lag_p99_seconds": "gauge",
        "spasmwatch_database_bytes": "gauge", "spasmwatch_raw_frames_bytes": "gauge", "spasmwatch_service_up": "gauge",
    ]

    static let prometheusClient: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import prometheus_client.parser"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// One line per sample, as prometheus_client's parser reads the text:
    /// `FAMILY TYPE SAMPLE {"label": "value"} VALUE`.
    static let parseScript = #"""
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            for s in family.samples:
                print(family.name, family.type, s.name, json.dumps(s.labels, sort_keys=True, separators=(",", ":")), s.value)
        """#

    /// One line per family, as prometheus_client reads its `# HELP`: `FAMILY DOCUMENTATION`.
    static let helpScript = #"""
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            print(family.name + ("_total" if family.type == "counter" else ""), family.documentation)
        """#

    /// Each family's help text, as prometheus_client reads it ("" when there is none).
    static func help(_ text: String, home: URL) async throws -> [String: String] {
        let file = home.appendingPathComponent("scrape-help.txt")
        try Data(text.utf8).write(to: file)
        let script = home.appendingPathComponent("help.py")
        try Data(helpScript.utf8).write(to: script)
        let python = try ChildProcess("/usr/bin/env", ["python3", "-W", "ignore", script.path, file.path], home: home)
        #expect(await python.wait(timeout: 60) == 0, "prometheus_client refused the scrape: \(python.stderr)")
        var help: [String: String] = [:]
        for line in python.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            help[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return help
    }

    struct Sample: Equatable {
        let family: String
        let type: String
        let name: String
        let labels: String
        let value: Double
    }

    /// The scrape parsed by prometheus_client.
    static func parse(_ text: String, home: URL) async throws -> [Sample] {
        let file = home.appendingPathComponent("scrape.txt")
        try Data(text.utf8).write(to: file)
        let script = home.appendingPathComponent("parse.py")
        try Data(parseScript.utf8).write(to: script)
        let python = try ChildProcess("/usr/bin/env", ["python3", "-W", "ignore", script.path, file.path], home: home)
        #expect(await python.wait(timeout: 60) == 0, "prometheus_client refused the scrape: \(python.stderr)\n\(text)")
        return python.stdout.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard parts.count == 4, let space = parts[3].lastIndex(of: " "), let value = Double(parts[3][parts[3].index(after: space)...]) else {
                return nil
            }
            return Sample(family: parts[0], type: parts[1], name: parts[2], labels: String(parts[3][..<space]), value: value)
        }
    }

    /// `GET /metrics` over real HTTP (curl).
    static func scrape(_ port: Int) throws -> HTTPSTest.Answer {
        try HTTPSTest.curl(["http://127.0.0.1:\(port)/metrics"], ca: nil)
    }

    /// The value of the series `series` (name and labels as the text shows them) in a scrape.
    static func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    /// Polls the scrape until `condition` holds on its text (up to `timeout` seconds); returns the last text.
    static func scrape(_ port: Int, until condition: (String) -> Bool, timeout: Double = 30) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        repeat {
            let answer = try scrape(port)
            if answer.status == 200 { text = answer.body }
            if condition(text) { return text }
            try await Task.sleep(for: .milliseconds(200))
        } while Date() < deadline
        return text
    }

    static func startMetrics(home: URL, port: Int) async throws -> ChildProcess {
        let metrics = try ChildProcess("spasmwatch-metrics", home: home)
        #expect(await metrics.waitForOutput("metrics at http://127.0.0.1:\(port)/metrics"), "\(metrics.stderr)")
        return metrics
    }

    @Test(.enabled(if: prometheusClient, "python3 with prometheus_client is not installed (deploy/stack test installs it)"))
    func aScrapeParsesAndCountsWhatTheServicesSaid() async throws {
        let home = try TestSupport.temporaryHome("metrics-scrape")
        defer { try? FileManager.default.removeItem(at: home) }
        let sensorPort = SecondHost.freePort(on: "127.0.0.1")
        let port = SecondHost.freePort(on: "127.0.0.1")
        try #"{"sensor": {"httpPort": \#(sensorPort)}, "metrics": {"httpPort": \#(port)}, "notify": {"serviceSilentAfterSeconds": 3}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"), "\(sensor.stderr)")
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        let metrics = try await Self.startMetrics(home: home, port: port)

        // One good frame and one refused for its range, over the sensor's real HTTP endpoint.
        let token = TestSupport.httpToken(home: home)
        func post(_ frame: String) throws -> HTTPSTest.Answer {
            try HTTPSTest.curl(
                [
                    "-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer \(token)", "-d", frame,
                    "http://127.0.0.1:\(sensorPort)/api/frames",
                ], ca: nil)
        }
        let good = try post(#"{"v":1,"sensorId":"calf-l","kind":"emg","placement":"left-calf","sampleRate":1000,"unit":"mV","samples":[0.01,-0.02]}"#)
        #expect(good.status == 200, "\(good)")
        let bad = try post(#"{"v":1,"sensorId":"ankle-r","kind":"imu","placement":"right-ankle","sampleRate":100,"unit":"g","samples":[0,0,99]}"#)
        #expect(bad.status == 400 && bad.body.contains(#""reason":"range""#), "\(bad)")
        // A fall alert: notify delivers it at once (critical alerts never wait) on the console.
        let bench = try NotifyProcessTests.TestBus(home: home, prefixes: ["delivery."])
        defer { bench.close() }
        let fall = NotifyProcessTests.fall()
        try await Task.sleep(for: .milliseconds(500))  // the test's publisher joins the bus
        try bench.publish(fall)

        let awaited = [
            #"spasmwatch_frames_rejected_total{reason="range"}"#, "spasmwatch_frames_accepted_total",
            #"spasmwatch_deliveries_total{channel="console",result="sent"}"#, "spasmwatch_database_bytes",
            #"spasmwatch_service_up{service="spasmwatch-store"}"#,
        ]
        let text = try await Self.scrape(port) { text in awaited.allSatisfy { (Self.value($0, in: text) ?? 0) > 0 } }
        let samples = try await Self.parse(text, home: home)
        func sample(_ name: String, _ labels: String = "{}") -> Sample? { samples.first { $0.name == name && $0.labels == labels } }

        // Names, types and suffixes as prometheus_client reads them (it drops `_total` from a counter's family name).
        let served = Dictionary(samples.map { ($0.type == "counter" ? $0.family + "_total" : $0.family, $0.type) }) { first, _ in first }
        #expect(served == Self.families, "\(served)")
        for s in samples {
            #expect(s.name.hasPrefix("spasmwatch_"), "\(s)")
            if s.type == "counter" { #expect(s.name.hasSuffix("_total"), "\(s)") }
        }
        #expect(sample("spasmwatch_frames_rejected_total", #"{"reason":"range"}"#)?.value == 1, "\(text)")
        #expect(sample("spasmwatch_frames_rejected_total", #"{"reason":"unit"}"#)?.value == 0, "every reason is there from the start")
        #expect((sample("spasmwatch_frames_accepted_total")?.value ?? 0) >= 1)
        #expect((sample("spasmwatch_deliveries_total", #"{"channel":"console","result":"sent"}"#)?.value ?? 0) >= 1)
        #expect(sample("spasmwatch_episodes_total", #"{"kind":"fall"}"#)?.value == 0)
        #expect(sample("spasmwatch_service_up", #"{"service":"spasmwatch-sensor"}"#)?.value == 1)
        #expect(sample("spasmwatch_service_up", #"{"service":"spasmwatch-metrics"}"#)?.value == 1, "its own heartbeat")
        #expect(sample("spasmwatch_service_up", #"{"service":"spasmwatch-detect"}"#)?.value == 0, "never started")
        // Only bounded labels: no sensor id, no person.
        #expect(!text.contains("calf-l") && !text.contains("ankle-r") && !text.contains(#""me""#), "\(text)")
        // Every family has its help line, as Prometheus and Grafana show it.
        let help = try await Self.help(text, home: home)
        for family in Self.families.keys { #expect(!(help[family] ?? "").isEmpty, "no # HELP for \(family): \(help)") }
        // Every family is documented.
        let docs = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        for family in Self.families.keys { #expect(docs.contains("`\(family)`"), "docs/metrics.md lacks \(family)") }

        // A stopped service reads 0 once its heartbeat is missing for notify.serviceSilentAfterSeconds.
        await sensor.stop()
        let after = try await Self.scrape(port) { Self.value(#"spasmwatch_service_up{service="spasmwatch-sensor"}"#, in: $0) == 0 }
        #expect(Self.value(#"spasmwatch_service_up{service="spasmwatch-sensor"}"#, in: after) == 0, "\(after)")
        #expect(Self.value(#"spasmwatch_frames_rejected_total{reason="range"}"#, in: after) == 1, "a counter keeps its count")

        await metrics.stop()
        #expect(metrics.process.terminationStatus == 0, "graceful shutdown: \(metrics.stderr)")
        await notify.stop()
        await store.stop()
        await bus.stop()
    }

    /// With `mqtt.url` set, spasmwatch-mqtt is one of the services watched: its up series and
    /// its outbox's pending count are there from the start (here it never started: up 0).
    @Test func turningMQTTOnAddsItsSeries() async throws {
        let home = try TestSupport.temporaryHome("metrics-mqtt")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = SecondHost.freePort(on: "127.0.0.1")
        try #"{"metrics": {"httpPort": \#(port)}, "mqtt": {"url": "mqtt://127.0.0.1:1883"}}"#.write(
            to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let metrics = try await Self.startMetrics(home: home, port: port)
        let text = try await Self.scrape(port) { $0.contains("spasmwatch_service_up") }
        #expect(Self.value(#"spasmwatch_service_up{service="spasmwatch-mqtt"}"#, in: text) == 0, "\(text)")
        #expect(Self.value(#"spasmwatch_outbox_pending_messages{service="spasmwatch-mqtt"}"#, in: text) == 0, "\(text)")
        await metrics.stop()
        await bus.stop()
    }

    /// Every PromQL expression of `deploy/grafana/spasmwatch.json` names only series a real
    /// scrape has, and every panel has one.
    @Test func everyDashboardPanelQueriesAnExportedMetric() async throws {
        let home = try TestSupport.temporaryHome("metrics-dashboard")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = SecondHost.freePort(on: "127.0.0.1")
        try #"{"metrics": {"httpPort": \#(port)}}"#.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let metrics = try await Self.startMetrics(home: home, port: port)
        let text = try await Self.scrape(port) { $0.contains("spasmwatch_service_up") }
        var exported = Set<String>()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if let name = line.split(whereSeparator: { $0 == "{" || $0 == " " }).first { exported.insert(String(name)) }
        }
        #expect(exported.count >= Self.families.count, "\(text)")

        let file = TestSupport.repositoryRoot.appendingPathComponent("deploy/grafana/spasmwatch.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        func panels(_ object: [String: Any]) -> [[String: Any]] {
            let own = object["panels"] as? [[String: Any]] ?? []
            return own + own.flatMap(panels)
        }
        let all = panels(dashboard).filter { ($0["type"] as? String) != "row" }
        #expect(all.count >= 8, "a panel for each thing the issue lists")
        let name = try Regex(#"spasmwatch_[a-zA-Z0-9_]*"#)
        var queried = Set<String>()
        for panel in all {
            let title = panel["title"] as? String ?? "?"
            let expressions = (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
            #expect(!expressions.isEmpty, "panel '\(title)' has no PromQL expression")
            for expression in expressions {
                let names = expression.matches(of: name).map { String(expression[$0.range]) }
                #expect(!names.isEmpty, "panel '\(title)': '\(expression)' names no SpasmWatch metric")
                for metric in names {
                    queried.insert(metric)
                    #expect(exported.contains(metric), "panel '\(title)' queries \(metric), which /metrics does not serve")
                }
            }
        }
        #expect(queried.isSuperset(of: Self.families.keys), "families no panel shows: \(Set(Self.families.keys).subtracting(queried))")
        await metrics.stop()
        await bus.stop()
    }

    /// Beyond loopback: no start without a token, nor without the home's certificate; then
    /// from a second host plain HTTP gets nothing and HTTPS needs the token.
    @Test(.enabled(if: SecondHost.unavailableReason == nil, "\(SecondHost.unavailableReason ?? "")"))
    func fromASecondHostOnlyHTTPSWithTheToken() async throws {
        let host = try SecondHost()
        defer { host.remove() }
        let home = try TestSupport.temporaryHome("metrics-netns")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = SecondHost.freePort(on: host.hostAddress)
        let config = home.appendingPathComponent("config.json")
        try #"{"metrics": {"httpHost": "\#(host.hostAddress)", "httpPort": \#(port)}}"#.write(to: config, atomically: true, encoding: .utf8)
        // Without a token the configuration does not load, for the exporter as for every service.
        let noToken = try ChildProcess("spasmwatch-metrics", home: home)
        #expect(await noToken.wait(timeout: 30) == 2)
        #expect(noToken.stderr.contains("metrics.httpToken must be set when metrics.httpHost is '\(host.hostAddress)'"), "\(noToken.stderr)")

        let token = "scrape-\(UUID().uuidString.prefix(8))"
        try #"{"metrics": {"httpHost": "\#(host.hostAddress)", "httpPort": \#(port), "httpToken": "\#(token)"}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let noCertificate = try ChildProcess("spasmwatch-metrics", home: home)
        #expect(await noCertificate.wait(timeout: 30) == 2)
        #expect(noCertificate.stderr.contains("metrics.httpHost is '\(host.hostAddress)' (beyond loopback)"), "\(noCertificate.stderr)")

        let ca = try await HTTPSTest.initialize(home: home)
        let metrics = try ChildProcess("spasmwatch-metrics", home: home)
        let base = "https://\(host.hostAddress):\(port)"
        #expect(await metrics.waitForOutput("metrics at \(base)/metrics"), "\(metrics.stderr)")

        let plain = try HTTPSTest.curl(["http://\(host.hostAddress):\(port)/metrics"], ca: nil, namespace: host.namespace)
        #expect(plain.status != 200 && !plain.body.contains("spasmwatch_"), "\(plain)")
        let anonymous = try HTTPSTest.curl(["\(base)/metrics"], ca: ca, namespace: host.namespace)
        #expect(anonymous.status == 401 && !anonymous.body.contains("spasmwatch_"), "\(anonymous)")
        #expect(anonymous.headers["www-authenticate"] == "Bearer", "\(anonymous)")
        let wrong = try HTTPSTest.curl(["-H", "Authorization: Bearer \(token)x", "\(base)/metrics"], ca: ca, namespace: host.namespace)
        #expect(wrong.status == 401, "\(wrong)")
        let scraped = try HTTPSTest.curl(["-H", "Authorization: Bearer \(token)", "\(base)/metrics"], ca: ca, namespace: host.namespace)
        #expect(scraped.status == 200 && scraped.body.contains(#"spasmwatch_service_up{service="spasmwatch-bus"}"#), "\(scraped)")
        #expect(scraped.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8", "\(scraped)")

        await metrics.stop()
        await bus.stop()
    }
}
