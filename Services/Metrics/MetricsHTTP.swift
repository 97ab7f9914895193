import Foundation
import Hummingbird
import Logging
import Prometheus
import SpasmBus
import SpasmConfig
import SpasmTLS
import SpasmWeb

/// `GET /metrics`: the registry in Prometheus's text format 0.0.4, the gauges refreshed first.
/// Plain HTTP on loopback only; bound beyond it, HTTPS with the home's certificate
/// (`ServingTLS`, or it refuses to start) and `metrics.httpToken` as a bearer token (the
/// configuration does not load without one). A token set on loopback is required there too.
/// `BrowserGuard` refuses a `Host` that is not this machine's (a page rebinding its name to
/// 127.0.0.1 reads nothing); `ConnectionLimits` bounds slow and idle connections.
enum MetricsHTTP {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func buildApplication(
        metrics: HeartbeatMetrics, registry: PrometheusCollectorRegistry, settings: MetricsSettings, home: DataHome,
        counters: CounterSet, logger: Logger
    ) throws -> some ApplicationProtocol {
        let (server, scheme) = try ServingTLS.server(
            ConnectionLimits().server { counters.add($0) }, host: settings.httpHost, setting: "metrics.httpHost", home: home,
            logger: logger)
        let router = Router()
        router.add(
            middleware: BrowserGuard(
                hosts: AllowedHosts(bindHost: settings.httpHost, extra: settings.allowedHosts), token: settings.httpToken,
                setting: "metrics.allowedHosts", count: { counters.add($0) }))
        // With metrics.httpToken set (always beyond loopback), every request needs it.
        if !settings.httpToken.isEmpty {
            router.add(middleware: BearerTokenCheck(token: settings.httpToken) { _ in MetricsHTTP.refusal(counters) })
        }
        router.get("/metrics") { _, _ -> Response in
            metrics.refresh(now: Date().timeIntervalSince1970)
            counters.add("scrapes")
            return Response(
                status: .ok, headers: [.contentType: MetricsHTTP.contentType], body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let host = settings.httpHost
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: settings.httpPort), serverName: "spasmwatch-metrics"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.httpPort
                logger.info("metrics at \(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)/metrics")
            },
            logger: logger)
    }

    /// Where `/metrics` is served, for the heartbeat.
    static func address(_ settings: MetricsSettings) -> String {
        let host = settings.httpHost.contains(":") ? "[\(settings.httpHost)]" : settings.httpHost
        return "\(ServingTLS.isLoopback(settings.httpHost) ? "http" : "https")://\(host):\(settings.httpPort)/metrics"
    }
}

extension MetricsHTTP {
    /// A scrape without the token: 401, counted `scrapes.refused.auth`.
    static func refusal(_ counters: CounterSet) -> Response {
        counters.add("scrapes.refused.auth")
        return Response(
            status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string:
                        "missing or wrong token: send 'Authorization: Bearer TOKEN' with metrics.httpToken (Prometheus: authorization.credentials)\n"
                )))
    }
}
