import Foundation
import HTTPTypes
import Hummingbird

/// What a browser may do on this machine's HTTP APIs (both the diary page and the sensor
/// endpoint put this first on their router):
///
/// - **Host.** Every request's `Host` must be one of `AllowedHosts`, else 421: a page on
///   another site whose name was pointed at this machine (DNS rebinding) is refused.
/// - **State-changing requests** (anything but GET/HEAD): `Sec-Fetch-Site: cross-site` and
///   an `Origin` other than this server's own (or `manual.publicURL`'s) are refused; the body
///   must be `Content-Type: application/json`, which a page on another site cannot send
///   without a CORS preflight that is never granted. A client that sends no `Origin` (curl,
///   a device) may use another type only with `Authorization: Bearer TOKEN`.
/// - **Capability routes** (`/act/<token>` of the alerts' links) skip the Origin and type
///   checks: the secret in the path is the whole permission, the link is meant to be opened
///   from another app (ntfy's action button POSTs with no body, the confirm page's form
///   posts `application/x-www-form-urlencoded`), and a page that knows the token could act
///   anyway. They still check `Host`.
///
/// Refusals are JSON `{"ok":false,"error":…,"reason":…}` naming what was refused and what is
/// allowed, counted as `http.refused.host`, `http.refused.origin`, `http.refused.content-type`.
public struct BrowserGuard<Context: RequestContext>: RouterMiddleware {
    let hosts: AllowedHosts
    let trustedOrigins: Set<String>
    let token: String
    let isCapability: @Sendable (String) -> Bool
    let count: @Sendable (String) -> Void
    /// The setting that adds a name, for the error text ("manual.allowedHosts").
    let setting: String

    public init(
        hosts: AllowedHosts, trustedOrigins: [String] = [], token: String, setting: String,
        isCapability: @escaping @Sendable (String) -> Bool = { _ in false },
        count: @escaping @Sendable (String) -> Void
    ) {
        self.hosts = hosts
        self.trustedOrigins = Set(trustedOrigins.compactMap(Self.origin(of:)))
        self.token = token
        self.setting = setting
        self.isCapability = isCapability
        self.count = count
    }

    public func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let authority = request.head.authority ?? ""
        guard hosts.allows(authority) else {
            return refuse(
                "host", status: .misdirectedRequest,
                "Host '\(authority)' is not a name of this server; allowed are \(hosts.described) (add a name to \(setting) if it is yours)")
        }
        if request.method == .get || request.method == .head || isCapability(request.uri.path) {
            return try await next(request, context)
        }
        if request.headers[.secFetchSite]?.lowercased() == "cross-site" {
            return refuse(
                "origin", "a request from another site (Sec-Fetch-Site: cross-site) may not change anything here; only this server's own page may")
        }
        let origin = request.headers[.origin]
        if let origin {
            let same =
                Self.origin(of: origin).map { value in
                    value.split(separator: "/").last.map { String($0) == authority.lowercased() } ?? false
                } ?? false
            if !same, !(Self.origin(of: origin).map(trustedOrigins.contains) ?? false) {
                return refuse(
                    "origin",
                    "Origin '\(origin)' is not this server ('\(authority)'): a page from another site may not change anything here; only this server's own page may"
                )
            }
        }
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        if type != "application/json" {
            let bearer = TokenMatch.bearer(request.headers[.authorization])
            let tokenShown = origin == nil && bearer.map { TokenMatch.matches($0, token) } == true
            if !tokenShown {
                return refuse(
                    "content-type",
                    "Content-Type '\(type ?? "none")' is refused for \(request.method) \(request.uri.path): send 'Content-Type: application/json'"
                        + (token.isEmpty ? "" : " (or, from a program that sends no Origin, 'Authorization: Bearer TOKEN')"))
            }
        }
        return try await next(request, context)
    }

    func refuse(_ reason: String, status: HTTPResponse.Status = .forbidden, _ error: String) -> Response {
        count("http.refused.\(reason)")
        return Self.json(Refusal(error: error, reason: reason), status: status)
    }

    /// "scheme://host[:port]" of an `Origin` or URL, lowercased; nil for `null` or a non-URL.
    static func origin(of text: String) -> String? {
        guard let url = URL(string: text.trimmingCharacters(in: .whitespaces)), let scheme = url.scheme?.lowercased(),
            let host = url.host?.lowercased(), !host.isEmpty
        else { return nil }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed)" + (url.port.map { ":\($0)" } ?? "")
    }

    struct Refusal: Encodable {
        var ok = false
        var error: String
        var reason: String
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data())))
    }
}

extension HTTPField.Name {
    static let secFetchSite = Self("Sec-Fetch-Site")!
}
