import Foundation
import Hummingbird
import HummingbirdWebSocket
import SpasmBus
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmWeb
import ZeroMQ

/// The "Wear this phone" screen's routes on the diary's server:
///
/// - `GET /wear` the screen (`WearPage`);
/// - `GET /wear/socket` the WebSocket the screen streams on (`WearStreams`). It ends here, on
///   the diary page's own server: same origin, and the same token as every other route (the
///   page's cookie, which the browser sends with the upgrade). An upgrade whose `Origin` is
///   not this server's own page (or `manual.publicURL`'s) is refused (`WebSocketOrigin`).
/// - `GET /api/devices` every device sensor ingestion knows, with frames lost on the way to
///   storage; `POST /api/devices/{id}/rename` `{"name":…}` and `POST /api/devices/{id}/move`
///   `{"placement":…}` — the same requests `spasmwatch sensors rename|move` send.
struct WearRoutes: Sendable {
    let page: String
    let streams: WearStreams
    /// Sensor ingestion's requests and storage's queries, each one client for the process.
    let sensors: RequestClient<SensorRequest, SensorReply>
    let store: StoreClient
    static let maxMessageBytes = 1 << 20

    init(page: String, streams: WearStreams, context: ZMQContext, sensorRequests: String, storeQuery: String) {
        self.page = page
        self.streams = streams
        sensors = RequestClient(context: context, endpoint: sensorRequests, name: "wear-sensors")
        store = StoreClient(context: context, endpoint: storeQuery, timeoutSeconds: 2)
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("/wear") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .referrerPolicy: "no-referrer"],
                body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/api/devices") { _, _ -> Response in
            try await devices()
        }
        router.post("/api/devices/{id}/rename") { request, context -> Response in
            let body = try await Self.body(request)
            return try await change(SensorRequest(op: .rename, sensorId: context.parameters.get("id"), name: body["name"] ?? ""))
        }
        router.post("/api/devices/{id}/move") { request, context -> Response in
            let body = try await Self.body(request)
            return try await change(SensorRequest(op: .move, sensorId: context.parameters.get("id"), placement: body["placement"] ?? ""))
        }
    }

    /// The socket, on its own router (Hummingbird upgrades through a separate responder);
    /// `guards` puts the same Host, Origin and token checks in front of it as on the page.
    func webSocketRouter(
        trustedOrigins: [String], count: @escaping @Sendable (String) -> Void,
        guards: (Router<BasicWebSocketRequestContext>) -> Void
    ) -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        guards(router)
        let streams = self.streams
        router.ws(
            "/wear/socket",
            shouldUpgrade: { request, _ in
                guard WebSocketOrigin.allows(request.headers[.origin], authority: request.head.authority ?? "", trusted: trustedOrigins) else {
                    count("http.refused.origin")
                    return .dontUpgrade
                }
                return .upgrade([:])
            }
        ) { inbound, outbound, _ in
            count("wear.connections")
            for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                guard case .text(let text) = message else { continue }
                let reply = await streams.handle(text)
                try await outbound.write(.text(String(decoding: try WireCodec.encode(reply), as: UTF8.self)))
            }
        }
        return router
    }

    static func body(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 4096)
        return (try? JSONDecoder().decode([String: String].self, from: Data(buffer.readableBytesView))) ?? [:]
    }

    func ask(_ request: SensorRequest) async -> SensorReply {
        do {
            return try await sensors.ask(request)
        } catch {
            if error.code == .requestBadReply { return SensorReply(ok: false, error: "unreadable reply from spasmwatch-sensor") }
            return SensorReply(ok: false, error: "spasmwatch-sensor is not answering: is it running?")
        }
    }

    struct DeviceList: Encodable {
        var ok: Bool
        var error: String?
        var devices: [SensorStatus]
        /// Frames accepted by ingestion and never stored, per sensor (absent: the store did not answer).
        var framesLost: [String: Int64]?
        var sites: [String]
    }

    func devices() async throws -> Response {
        let reply = await ask(SensorRequest(op: .list))
        guard reply.ok else {
            return try WebServer.json(
                DeviceList(ok: false, error: reply.error, devices: [], sites: BodySite.allCases.map(\.rawValue)),
                status: .serviceUnavailable)
        }
        var lost: [String: Int64]?
        if let stored = (try? await store.send(StoreRequest(query: .storedFrames)))?.storedFrames {
            lost = (reply.acceptedFrames ?? [:]).reduce(into: [String: Int64]()) { all, item in
                all[item.key] = max(0, item.value - (stored[item.key] ?? 0))
            }
        }
        return try WebServer.json(
            DeviceList(
                ok: true, devices: reply.sensors ?? [], framesLost: lost,
                sites: BodySite.allCases.map(\.rawValue)))
    }

    func change(_ request: SensorRequest) async throws -> Response {
        let reply = await ask(request)
        return try WebServer.json(reply, status: reply.ok ? .ok : .badRequest)
    }
}
