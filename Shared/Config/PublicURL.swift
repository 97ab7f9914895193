import Foundation

/// `manual.publicURL`: the address other phones use to reach this hub's diary, from which
/// the "I'm OK" / "I need help" links in notifications are made.
extension ManualSettings {
    /// The base for action links, or nil when there is none usable (then notifications
    /// carry no link, and `publicURLWarning` says why). Unset while the diary listens beyond
    /// loopback, it is derived: `https://NAME.local:PORT` (a name in the HTTPS certificate).
    public var actionLinkBase: String? {
        let text = publicURL.trimmingCharacters(in: .whitespaces).isEmpty ? (derivedPublicURL ?? "") : publicURL.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
            url.query == nil, url.fragment == nil, url.user == nil
        else { return nil }
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// `https://NAME.local:PORT` when the diary listens beyond loopback (so it serves HTTPS
    /// with a certificate naming NAME.local), else nil.
    public var derivedPublicURL: String? {
        guard !Endpoints.isLoopback(httpHost) else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
        guard let short = name.split(separator: ".").first, !short.isEmpty else { return nil }
        return "https://\(short).local:\(httpPort)"
    }

    /// What a heartbeat says about `publicURL` (`warning.publicURL`), or nil when all is well.
    public var publicURLWarning: String? {
        let text = publicURL.trimmingCharacters(in: .whitespaces)
        if text.isEmpty && derivedPublicURL != nil { return nil }
        if text.isEmpty {
            return "manual.publicURL is not set: alerts carry no \"I'm OK\" link for other phones; set it to the address phones use to reach this hub"
        }
        guard let base = actionLinkBase else {
            return
                "manual.publicURL '\(text)' is not an http:// or https:// address (with no ?query or #part): alerts carry no \"I'm OK\" link; set it to the address phones use to reach this hub, e.g. https://hub.local:8471"
        }
        if base.lowercased().hasPrefix("http://") {
            return
                "manual.publicURL is http://: the \"I'm OK\" links in alerts would cross the home network unencrypted, and the diary serves HTTPS beyond loopback; use https:// (docs/https.md)"
        }
        return nil
    }
}
