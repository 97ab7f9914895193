import Hummingbird

/// Every request needs `Authorization: Bearer TOKEN`, compared in constant time
/// (`TokenMatch`). An empty token lets nothing through: a server that may be reached
/// without a token (the metrics exporter on loopback) does not add this middleware.
/// `refuse` is the server's own 401: its words and its counters.
public struct BearerTokenCheck<Context: RequestContext>: RouterMiddleware {
    public let token: String
    let refuse: @Sendable (Request) -> Response

    public init(token: String, refuse: @escaping @Sendable (Request) -> Response) {
        self.token = token
        self.refuse = refuse
    }

    public func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let bearer = TokenMatch.bearer(request.headers[.authorization]), TokenMatch.matches(bearer, token) {
            return try await next(request, context)
        }
        return refuse(request)
    }
}
