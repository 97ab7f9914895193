/// The Prometheus exporter (spasmwatch-metrics): `GET /metrics` in the text format 0.0.4,
/// made from the services' heartbeats (docs/metrics.md).
public struct MetricsSettings: Codable, Sendable, Equatable {
    /// Loopback by default: metrics are health data (alerts by severity say when someone fell).
    /// Beyond loopback the exporter serves HTTPS only (the home's certificate, `spasmwatch tls
    /// init`) and needs `httpToken`; it refuses to start without them.
    public var httpHost: String = "127.0.0.1"
    public var httpPort: Int = 8472
    /// Required as `Authorization: Bearer …` when set; must be set when httpHost is not loopback.
    public var httpToken: String = ""
    /// Extra names a request's `Host` may carry, beyond localhost, this machine's addresses and
    /// hostname (e.g. ["hub.example.net"]); any other name is refused (DNS rebinding).
    public var allowedHosts: [String] = []
    public init() {}
}
