import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-metrics`: the Prometheus exporter. It reads every service's heartbeat from the
/// bus and serves them as `GET /metrics` (text format 0.0.4); loopback by default, HTTPS and a
/// bearer token beyond it (docs/metrics.md).
@main
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-metrics",
        abstract: "Serve the services' heartbeats as Prometheus metrics (GET /metrics).")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await ServiceEnvironment.main(service: ServiceName.metrics, instance: "metrics", options: options) { environment in
            try MetricsService.build(environment: environment)
        }
    }
}
