import CoreMetrics
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmIngestion
import SpasmNotify
import SpasmSchema
import SpasmSync

/// Every metric the exporter serves, made from the services' heartbeats through swift-metrics
/// (docs/metrics.md lists them). A heartbeat carries each service's counters since it started;
/// each exported counter grows by what an instance's counter grew since its last heartbeat (by
/// all of it when the instance is new or restarted: another pid, or a smaller value), so an
/// exported counter never goes down while the exporter runs. Gauges are the last value heard.
///
/// Labels come only from fixed lists: the service (ours and `expectedServices`), the frame
/// refusal reasons (`SpasmError.frameRejectionReasons`), episode kinds, alert severities,
/// channel kinds and delivery outcomes. Never a person or a sensor. Every series exists from
/// the start, at 0, so a dashboard's query finds it before the first event.
final class HeartbeatMetrics: Sendable {
    /// What one instance said last.
    struct Heard: Sendable {
        var service: String
        var pid: Int32
        var counters: [String: Int64]
        var at: Double
    }

    /// A gauge read off the latest heartbeats: the services it reads, the heartbeat counter,
    /// how instances combine, and the scale to the metric's unit.
    struct GaugeRule: Sendable {
        let gauge: Gauge
        let services: Set<String>
        let key: String
        let combine: @Sendable ([Double]) -> Double
        let scale: Double
    }

    /// The services whose heartbeats are read (any other heartbeat is ignored), sorted.
    let services: [String]
    /// A service is up while one of its instances was heard within this (seconds).
    let silentAfterSeconds: Double
    /// `service` + "\u{1F}" + heartbeat counter name → the exported counter it feeds.
    private let counters: [String: CoreMetrics.Counter]
    private let gauges: [GaugeRule]
    private let up: [String: Gauge]
    /// By instance name.
    private let heard = Locked<[String: Heard]>([:])

    static let deliveryOutcomes: [Delivery.Outcome] = [.sent, .failed, .gaveUp]
    /// The services that send reliably and report `outbox.pending` (spasmwatch-mqtt: its
    /// acknowledgements from Home Assistant).
    static let outboxServices = [ServiceName.manual, ServiceName.detect, ServiceName.notify, ServiceName.mqtt]

    /// Each metric's `# HELP` line (`HelpTextFactory`); docs/metrics.md says more.
    static let help: [String: String] = [
        "spasmwatch_frames_accepted_total": "Sensor frames accepted by ingestion.",
        "spasmwatch_frames_rejected_total": "Sensor frames refused, by the reason the producer was told.",
        "spasmwatch_samples_lost_total": "Samples missing between a sensor's frames, by their sequence numbers.",
        "spasmwatch_bus_messages_lost_total": "Messages a service's subscriber saw missing on the bus.",
        "spasmwatch_episodes_total": "Episodes detected, by kind.",
        "spasmwatch_alerts_total": "Alerts raised, by the service that raised them and severity.",
        "spasmwatch_deliveries_total": "Notification attempts, by channel and result (gave-up reached nobody on that channel).",
        "spasmwatch_store_commits_total": "Group commits of the store.",
        "spasmwatch_outbox_pending_messages": "Messages sent reliably and not yet confirmed stored; growing means storage does not answer.",
        "spasmwatch_detection_lag_p50_seconds": "Median time from a frame's last sample to the detector having read it.",
        "spasmwatch_detection_lag_p99_seconds": "99th percentile of the time from a frame's last sample to the detector having read it.",
        "spasmwatch_database_bytes": "Size of the store's database file.",
        "spasmwatch_raw_frames_bytes": "Size of the raw-frame database.",
        "spasmwatch_service_up": "1 while the service's heartbeats arrive, 0 once they stopped for notify.serviceSilentAfterSeconds.",
    ]

    init(services: [String], silentAfterSeconds: Double, factory: any MetricsFactory) {
        let services = Array(Set(services)).sorted()
        self.services = services
        self.silentAfterSeconds = silentAfterSeconds
        var counters: [String: CoreMetrics.Counter] = [:]
        func counter(_ name: String, _ labels: [(String, String)] = [], from service: String, key: String) {
            counters[Self.key(service, key)] = CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
        }
        counter("spasmwatch_frames_accepted_total", from: ServiceName.sensor, key: "frames.accepted")
        for reason in SpasmError.frameRejectionReasons {
            counter("spasmwatch_frames_rejected_total", [("reason", reason)], from: ServiceName.sensor, key: "rejected.\(reason)")
        }
        counter("spasmwatch_samples_lost_total", from: ServiceName.sensor, key: "sensor.samples_lost")
        for kind in EpisodeKind.allCases {
            counter("spasmwatch_episodes_total", [("kind", kind.rawValue)], from: ServiceName.detect, key: "episodes.\(kind.rawValue)")
        }
        for severity in AlertSeverity.allCases {
            counter(
                "spasmwatch_alerts_total", [("service", ServiceName.detect), ("severity", severity.rawValue)], from: ServiceName.detect,
                key: "alerts.\(severity.rawValue)")
        }
        // The watchdog's alerts (service-down, sensor-silent) are warnings.
        counter(
            "spasmwatch_alerts_total", [("service", ServiceName.notify), ("severity", AlertSeverity.warning.rawValue)],
            from: ServiceName.notify, key: "watchdog.alerts")
        for channel in ChannelSpec.Kind.allCases {
            for outcome in Self.deliveryOutcomes {
                counter(
                    "spasmwatch_deliveries_total", [("channel", channel.rawValue), ("result", outcome.rawValue)],
                    from: ServiceName.notify, key: "deliveries.\(channel.rawValue).\(outcome.rawValue)")
            }
        }
        counter("spasmwatch_store_commits_total", from: ServiceName.store, key: "store.commits")
        for service in services {
            counter("spasmwatch_bus_messages_lost_total", [("service", service)], from: service, key: "bus.gap_messages")
        }
        self.counters = counters

        func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
            Gauge(label: name, dimensions: labels, factory: factory)
        }
        let sum: @Sendable ([Double]) -> Double = { $0.reduce(0, +) }
        let largest: @Sendable ([Double]) -> Double = { $0.max() ?? 0 }
        var gauges = Self.outboxServices.filter { services.contains($0) }.map { service in
            GaugeRule(
                gauge: gauge("spasmwatch_outbox_pending_messages", [("service", service)]), services: [service], key: "outbox.pending",
                combine: sum, scale: 1)
        }
        gauges += [
            GaugeRule(
                gauge: gauge("spasmwatch_detection_lag_p50_seconds"), services: [ServiceName.detect], key: "lag.p50_ms", combine: largest,
                scale: 0.001),
            GaugeRule(
                gauge: gauge("spasmwatch_detection_lag_p99_seconds"), services: [ServiceName.detect], key: "lag.p99_ms", combine: largest,
                scale: 0.001),
            GaugeRule(
                gauge: gauge("spasmwatch_database_bytes"), services: [ServiceName.store], key: "store.database_bytes", combine: sum, scale: 1),
            GaugeRule(
                gauge: gauge("spasmwatch_raw_frames_bytes"), services: [ServiceName.store], key: "store.raw_bytes", combine: sum, scale: 1),
        ]
        self.gauges = gauges
        var up: [String: Gauge] = [:]
        for service in services {
            let metric = gauge("spasmwatch_service_up", [("service", service)])
            metric.record(0)
            up[service] = metric
        }
        self.up = up
        for rule in gauges { rule.gauge.record(0) }
    }

    static func key(_ service: String, _ counter: String) -> String { service + "\u{1F}" + counter }

    /// Takes one heartbeat heard at `now`; false when its service is not one of `services`.
    @discardableResult
    func take(_ beat: Heartbeat, now: Double) -> Bool {
        guard up[beat.service] != nil else { return false }
        let before = heard.withLock { heard -> Heard? in
            defer { heard[beat.instance] = Heard(service: beat.service, pid: beat.pid, counters: beat.counters, at: now) }
            return heard[beat.instance]
        }
        let restarted = before.map { $0.pid != beat.pid || $0.service != beat.service } ?? true
        for (name, value) in beat.counters {
            guard let counter = counters[Self.key(beat.service, name)] else { continue }
            let last = restarted ? 0 : before?.counters[name] ?? 0
            // A smaller value: the service started again (its counters restart from 0).
            let grown = value >= last ? value - last : value
            if grown > 0 { counter.increment(by: grown) }
        }
        return true
    }

    /// Sets the gauges from the latest heartbeats, and `spasmwatch_service_up` from how long
    /// ago each service was heard. Called before each scrape.
    func refresh(now: Double) {
        let latest = heard.withLock { Array($0.values) }
        for rule in gauges {
            let values = latest.filter { rule.services.contains($0.service) }.compactMap { $0.counters[rule.key] }.map { Double($0) }
            rule.gauge.record(rule.combine(values) * rule.scale)
        }
        for (service, gauge) in up {
            let alive = latest.contains { $0.service == service && now - $0.at < silentAfterSeconds }
            gauge.record(alive ? 1 : 0)
        }
    }
}
