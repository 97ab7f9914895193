import Hummingbird

/// Browsers do not apply CORS to WebSockets: any page could open one to this machine. So a
/// WebSocket upgrade that carries an `Origin` must come from this server's own page (the
/// origin names the `Host` it was sent to) or a trusted one (`manual.publicURL`); clients
/// that send no `Origin` are not browsers, and the token still guards them.
public enum WebSocketOrigin {
    public static func allows(_ origin: String?, authority: String, trusted: [String]) -> Bool {
        guard let origin else { return true }
        guard let value = BrowserGuard<BasicRequestContext>.origin(of: origin) else { return false }
        if value.split(separator: "/").last.map({ String($0) == authority.lowercased() }) ?? false { return true }
        return trusted.compactMap(BrowserGuard<BasicRequestContext>.origin(of:)).contains(value)
    }
}
