import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema
import SpasmTLS
import SpasmWeb

/// The phone page and its JSON API (Hummingbird 2):
///
/// - `GET /` the page; `GET /api/entries?limit=N`; `POST /api/entries` (one entry, JSON);
///   `GET /api/episodes`; `GET /api/alerts`; `POST /api/alerts/{id}/acknowledge`;
///   `POST /api/alerts/{id}/help` ("I need help"); `POST /api/alerts/clear` (routine ones).
/// - `GET`/`POST /act/<token>`: the alerts' action links (`ActionPages`), the only routes
///   the page token does not guard.
/// - Answers are `ManualReply`-shaped JSON, errors `{"ok":false,"error":…,"field":…}` with
///   the same sentences as the CLI.
/// - A token is required on every request, on loopback too (another user of this machine
///   must not read the diary): `manual.httpToken`, else the home's `keys/http.token`
///   (`LocalToken`, made on first start). `Authorization: Bearer TOKEN`, or `?token=TOKEN`
///   once (a page then keeps a cookie and is sent on to its address without the token).
///   Bound to loopback by default (plain HTTP). Bound elsewhere it serves HTTPS only
///   (`ServingTLS`, the home's certificate from `spasmwatch tls init`; without one it does
///   not start) with a `Secure` cookie. `/trust` helps a phone trust the home's CA (`TrustPage`).
/// - In front of everything, `BrowserGuard` (Shared/Web): `Host` must name this machine
///   (or `manual.publicURL`'s host, `manual.allowedHosts`), and POSTs need this server's
///   own Origin and `Content-Type: application/json`; `ConnectionLimits` bounds slow, idle
///   and too many connections.
enum WebServer {
    static let maxBodyBytes = 64 * 1024
    static let cookieName = "spasmwatch_token"

    /// The settings with the token the server requires: `manual.httpToken`, else the home's
    /// `keys/http.token` (made on first start).
    static func withToken(_ settings: ManualSettings, home: DataHome) throws -> ManualSettings {
        var settings = settings
        settings.httpToken = try LocalToken.resolve(configured: settings.httpToken, keyDirectory: home.keyDirectory)
        return settings
    }

    /// `onRunning` gets the page's address once the server listens (the real port when 0 was asked).
    static func make(
        desk: DiaryDesk, board: EpisodeBoard, settings: ManualSettings, home: DataHome, page: String, actions: ActionPages?,
        counters: CounterSet, limits: ConnectionLimits = .init(), wear: WearRoutes? = nil,
        logger: Logger, onRunning: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> some Service {
        let settings = try withToken(settings, home: home)
        let router = Router()
        let publicHost = settings.actionLinkBase.flatMap { URL(string: $0)?.host }
        // ServingTLS serves HTTPS exactly when the host is beyond loopback.
        let scheme = ServingTLS.isLoopback(settings.httpHost) ? "http" : "https"
        // The same guards in front of the page's routes and of the phone's WebSocket.
        func guards<C: RequestContext>(_ router: Router<C>) {
            router.add(
                middleware: BrowserGuard(
                    hosts: AllowedHosts(bindHost: settings.httpHost, extra: settings.allowedHosts + (publicHost.map { [$0] } ?? [])),
                    trustedOrigins: settings.actionLinkBase.map { [$0] } ?? [], token: settings.httpToken, setting: "manual.allowedHosts",
                    isCapability: { ActionPages.isCapabilityPath($0) }, count: { counters.add($0) }))
            router.add(middleware: TokenCheck(token: settings.httpToken, secure: scheme == "https"))
        }
        guards(router)
        actions?.add(to: router)
        TrustPage(files: home.tlsFiles, token: settings.httpToken, publicBase: settings.actionLinkBase, scheme: scheme).add(to: router)
        wear?.add(to: router)

        router.get("/") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .referrerPolicy: "no-referrer"],
                body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/api/entries") { request, _ -> Response in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
            do {
                return try json(ManualReply(ok: true, entries: try await desk.recent(limit: limit)))
            } catch {
                return try json(ManualReply(ok: false, error: "could not read the diary: \(error)"), status: .internalServerError)
            }
        }
        router.post("/api/entries") { request, _ -> Response in
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: maxBodyBytes)
            } catch {
                return try json(
                    ManualReply(ok: false, error: "the request body is larger than \(maxBodyBytes / 1024) KiB"),
                    status: .contentTooLarge)
            }
            let entry: DiaryEntry
            do throws(SpasmError) {
                entry = try DiaryEntryParser.parse(Data(buffer.readableBytesView), via: "web")
            } catch {
                return try json(ManualReply.failure(error), status: .badRequest)
            }
            switch await desk.add(entry) {
            case .success(let saved):
                return try json(ManualReply(ok: true, saved: saved), status: saved.duplicate ? .ok : .created)
            case .failure(let error):
                return try json(ManualReply.failure(error), status: error.code == .diaryUnsaved ? .internalServerError : .badRequest)
            }
        }
        router.get("/api/episodes") { request, _ -> Response in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 20
            return try json(ManualReply(ok: true, episodes: await board.episodes(limit: limit)))
        }
        router.get("/api/alerts") { _, _ -> Response in
            try json(AlertList(ok: true, alerts: await board.openAlerts(), warnings: await board.warnings()))
        }
        router.post("/api/alerts/clear") { request, _ -> Response in
            // The page sends the ids it shows, so an alert that came after it last looked stays.
            let body = Data((try await request.body.collect(upTo: maxBodyBytes)).readableBytesView)
            var shown: [UUID]?
            if !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                // A body that is not what the page sends clears nothing, rather than everything.
                guard let clear = try? JSONDecoder().decode(ClearBody.self, from: body) else {
                    let refusal = SpasmError.diaryInvalid(
                        field: "alertIds",
                        "the body must be {\"alertIds\": [\"<alert id>\", …]} (the alerts to clear), or empty to clear every routine alert")
                    return try json(ManualReply.failure(refusal), status: .badRequest)
                }
                shown = clear.alertIds
            }
            switch await desk.clearRoutineAlerts(only: shown.map(Set.init)) {
            case .success(let cleared): return try json(ClearReply(ok: true, cleared: cleared))
            case .failure(let error): return try json(ManualReply.failure(error), status: .internalServerError)
            }
        }
        router.post("/api/alerts/{id}/help") { _, context -> Response in
            switch await desk.requestHelp(alert: context.parameters.get("id") ?? "", via: "web") {
            case .success(let alertId):
                return try json(AcknowledgeReply(ok: true, alertId: alertId))
            case .failure(let error):
                return try json(ManualReply.failure(error), status: .badRequest)
            }
        }
        router.post("/api/alerts/{id}/acknowledge") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            let body = try? await request.body.collect(upTo: maxBodyBytes)
            let falseAlarm = body.flatMap { try? JSONDecoder().decode(AcknowledgeBody.self, from: Data($0.readableBytesView)) }?.falseAlarm ?? false
            switch await desk.acknowledge(alert: id, falseAlarm: falseAlarm, via: "web") {
            case .success(let alertId):
                return try json(AcknowledgeReply(ok: true, alertId: alertId))
            case .failure(let error):
                return try json(ManualReply.failure(error), status: .badRequest)
            }
        }

        let host = settings.httpHost
        let base: HTTPServerBuilder
        if let wear {
            let socketRouter = wear.webSocketRouter(
                trustedOrigins: settings.actionLinkBase.map { [$0] } ?? [],
                count: { counters.add($0) }, guards: { guards($0) })
            let sockets = socketRouter.buildResponder()
            // The cap and the first request's deadline hold before an upgrade too (ConnectionLimits).
            base = limits.upgradingServer(count: { counters.add($0) }) { http1, responder in
                HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: sockets,
                    configuration: .init(http1: http1, ws: .init(maxFrameSize: WearRoutes.maxMessageBytes)))
            }
        } else {
            base = limits.server { counters.add($0) }
        }
        // Plain on loopback, TLS beyond it; the WebSocket upgrade rides inside the TLS channel.
        // Beyond loopback without the home's certificates this throws the `.tlsSetup` error
        // (the one check: a token there was required when the configuration loaded).
        let (server, served) = try ServingTLS.server(base, host: host, setting: "manual.httpHost", home: home, logger: logger)
        precondition(served == scheme, "ServingTLS chose \(served), expected \(scheme)")
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: settings.httpPort), serverName: "spasmwatch-manual"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.httpPort
                let url = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)/"
                onRunning(url)
                logger.info("diary page at \(url)")
            },
            logger: logger)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try WireCodec.encode(value))))
    }
}

struct AlertList: Codable {
    var ok: Bool
    var alerts: [OpenAlert]
    /// Plain-words warnings for the person (no caregiver set up, notify not running).
    var warnings: [String]
}

struct ClearReply: Codable {
    var ok: Bool
    var cleared: Int
}

struct ClearBody: Codable {
    /// Only these (the routine alerts the page shows); all routine ones when missing.
    var alertIds: [UUID]?
}

struct AcknowledgeBody: Codable {
    var falseAlarm: Bool?
}

struct AcknowledgeReply: Codable {
    var ok: Bool
    var alertId: UUID
}

/// Lets a request in only with the diary's token: a bearer header, the cookie the page
/// keeps, or `?token=` (which sets the cookie; a page asked for with it is sent on, 303, to
/// its address without the token, so the token leaves the address bar and the history).
/// The alerts' action links (`/act/<token>`, a capability of their own) and the CA
/// certificate files (public) are the exceptions. Over HTTPS the cookie is `Secure`.
struct TokenCheck<Context: RequestContext>: RouterMiddleware {
    let token: String
    var secure = false

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if ActionPages.isCapabilityPath(request.uri.path) || TrustPage.certificatePaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        let bearer = TokenMatch.bearer(request.headers[.authorization])
        let query = request.uri.queryParameters.get("token")
        let cookie = request.cookies[WebServer.cookieName]?.value
        guard [bearer, query, cookie].contains(where: { $0.map(matches) ?? false }) else {
            return try WebServer.json(
                ManualReply(
                    ok: false,
                    error:
                        "this diary needs its token (manual.httpToken, else the home's keys/http.token): open the page as /?token=TOKEN or send Authorization: Bearer TOKEN"
                ),
                status: .unauthorized)
        }
        let setCookie = "\(WebServer.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000" + (secure ? "; Secure" : "")
        if let query, matches(query), request.method == .get, !request.uri.path.hasPrefix("/api/") {
            return Response(
                status: .seeOther,
                headers: [
                    .location: Self.withoutToken(path: request.uri.path, query: request.uri.query), .setCookie: setCookie, .cacheControl: "no-store",
                    .referrerPolicy: "no-referrer",
                ])
        }
        var response = try await next(request, context)
        if let query, matches(query) { response.headers[.setCookie] = setCookie }
        return response
    }

    /// The request's path and query without `token=`.
    static func withoutToken(path: String, query: String?) -> String {
        let kept = (query ?? "").split(separator: "&").filter { !$0.hasPrefix("token=") }
        return path + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
    }

    /// Compares in constant time (the one shared helper, Shared/Web/TokenMatch).
    func matches(_ candidate: String) -> Bool { TokenMatch.matches(candidate, token) }
}
