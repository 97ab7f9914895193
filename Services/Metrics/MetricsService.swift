import CoreMetrics
import Foundation
import Prometheus
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmRuntime
import SpasmSchema

/// The exporter's services: the heartbeat reader (every `heartbeat.*` on the bus into
/// `HeartbeatMetrics`), the `/metrics` server and its own heartbeat. This process is the one
/// place that bootstraps swift-metrics, with swift-prometheus's registry; the other services
/// only send heartbeats.
enum MetricsService {
    static func build(environment: ServiceEnvironment) throws -> [any Service] {
        let configuration = environment.configuration
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(HelpTextFactory(registry: registry, help: HeartbeatMetrics.help))
        // Up or down by the same measure as notify's watchdog (service-down alerts).
        let metrics = HeartbeatMetrics(
            services: ServiceName.all + configuration.servicesExpected,
            silentAfterSeconds: configuration.notify.serviceSilentAfterSeconds, factory: MetricsSystem.factory)
        let counters = environment.counters
        let inbox = try environment.subscribe([Topic.heartbeatPrefix])
        let reader = MessageLoopService(subscriber: inbox) { message in
            guard let beat = try? message.decode(Heartbeat.self) else {
                counters.add("heartbeats.unreadable")
                return
            }
            counters.add(metrics.take(beat.body, now: Date().timeIntervalSince1970) ? "heartbeats.read" : "heartbeats.ignored")
        }
        let settings = configuration.metrics
        let http = try MetricsHTTP.buildApplication(
            metrics: metrics, registry: registry, settings: settings, home: environment.home, counters: counters,
            logger: environment.logger)
        let address = MetricsHTTP.address(settings)
        return [reader, http, environment.heartbeat { (["address": address], nil) }]
    }
}
