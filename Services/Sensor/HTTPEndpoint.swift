import Foundation
import Hummingbird
import Logging
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmSchema
import SpasmTLS
import SpasmWeb

/// HTTP for devices that cannot speak ZeroMQ (a shell script with curl, an ESP32):
/// `POST /api/frames` with the same JSON, the same validation and the same error text;
/// `GET /api/sensors` lists the sensors seen. Every route needs `Authorization: Bearer TOKEN`,
/// on loopback too: `sensor.httpToken` (it must be set when bound beyond localhost), else the
/// home's `keys/http.token` (`LocalToken`, shared with the diary page, made on first start).
/// In front of that, `BrowserGuard` (Shared/Web) checks `Host` (this machine's names and
/// `sensor.allowedHosts`) and refuses a POST from another site's page or without
/// `Content-Type: application/json` (a device that sends the token may omit the type);
/// `ConnectionLimits` bounds slow, idle and too many connections. Plain HTTP on loopback
/// only: bound beyond it, HTTPS with the home's certificate (`ServingTLS`, docs/https.md).
enum HTTPEndpoint {
    static func makeApplication(
        core: IngestionCore, settings: SensorSettings, home: DataHome, limits: ConnectionLimits = .init(),
        logger: Logger
    ) throws -> some ApplicationProtocol {
        // A token beyond loopback was required when the configuration loaded (SettingsCheck).
        // Beyond loopback: HTTPS, or a `.tlsSetup` error saying to run `spasmwatch tls init`.
        let server = try ServingTLS.server(
            limits.server { core.counters.add($0) }, host: settings.httpHost, setting: "sensor.httpHost",
            home: home, logger: logger
        ).server
        let token = try LocalToken.resolve(configured: settings.httpToken, keyDirectory: home.keyDirectory)
        let maxBytes = settings.maxFrameBytes
        let router = Router(context: PeerRequestContext.self)
        let counters = core.counters
        router.add(
            middleware: BrowserGuard(
                hosts: AllowedHosts(bindHost: settings.httpHost, extra: settings.allowedHosts),
                token: token, setting: "sensor.allowedHosts", count: { counters.add($0) }))
        router.add(middleware: BearerTokenCheck(token: token) { HTTPEndpoint.refusal($0, counters: counters) })
        router.post("/api/frames") { request, context -> Response in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBytes)
            } catch {
                core.counters.add("frames.rejected")
                core.counters.add("rejected.size")
                return json(
                    ProducerReply(
                        ok: false, error: "frame is larger than \(maxBytes) bytes, the most allowed (send shorter frames)",
                        reason: "size"), status: .contentTooLarge)
            }
            let peer = context.peer
            let reply = await core.ingestAsync(json: Data(buffer: body), binary: nil, via: "http", producerKey: "http:" + peer)
            let status: HTTPResponse.Status =
                reply.ok
                ? .ok
                : reply.reason == "rate-limit"
                    ? .tooManyRequests
                    : reply.reason == ProducerReply.unavailable ? .serviceUnavailable : .badRequest
            return json(reply, status: status)
        }
        router.get("/api/sensors") { _, _ -> Response in
            json(core.sensorStatuses(), status: .ok)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(settings.httpHost, port: settings.httpPort),
                serverName: "spasmwatch-sensor"),
            logger: logger)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPEndpoint {
    /// Every route needs `Authorization: Bearer TOKEN` (`sensor.httpToken` or `keys/http.token`);
    /// a frame refused for it counts as `frames.rejected` and `rejected.auth`.
    static func refusal(_ request: Request, counters: CounterSet) -> Response {
        if request.uri.path == "/api/frames" { counters.add("frames.rejected") }
        counters.add("rejected.auth")
        return json(
            ProducerReply(
                ok: false, error: "missing or wrong token: send 'Authorization: Bearer TOKEN' (sensor.httpToken, else the home's keys/http.token)",
                reason: "auth"), status: .unauthorized)
    }
}

/// A request context that remembers the peer's address (the rate limit is per producer).
struct PeerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// "ip:port" of the connecting device, without the port (one device, one bucket).
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
