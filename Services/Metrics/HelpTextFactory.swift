import CoreMetrics
import Prometheus

/// swift-prometheus's metrics factory with a `# HELP` line for each of our metrics.
///
/// swift-metrics has no help text, and `PrometheusMetricsFactory` registers every metric with
/// none. This factory makes the counters and gauges whose name `help` knows through the
/// registry's own `makeCounter(name:labels:help:)` and `makeGauge(name:labels:help:)`, which
/// write the line, and hands everything else (and every `destroy`) to swift-prometheus's
/// factory on the same registry. The registry requires one help text per name, which one
/// table gives.
struct HelpTextFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let help: [String: String]
    private let plain: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry, help: [String: String]) {
        self.registry = registry
        self.help = help
        self.plain = PrometheusMetricsFactory(registry: registry)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let text = help[label] else { return plain.makeCounter(label: label, dimensions: dimensions) }
        return registry.makeCounter(name: label, labels: dimensions, help: text)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let text = help[label] else { return plain.makeFloatingPointCounter(label: label, dimensions: dimensions) }
        return registry.makeCounter(name: label, labels: dimensions, help: text)
    }

    /// A `Gauge` of swift-metrics is a recorder that does not aggregate.
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard !aggregate, let text = help[label] else { return plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate) }
        return registry.makeGauge(name: label, labels: dimensions, help: text)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let text = help[label] else { return plain.makeMeter(label: label, dimensions: dimensions) }
        return registry.makeGauge(name: label, labels: dimensions, help: text)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        plain.makeTimer(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}
