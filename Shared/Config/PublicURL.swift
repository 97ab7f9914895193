import Foundation

/// `manual.publicURL`: the address other phones use to reach this hub's diary, from which
/// the "I'm OK" / "I need help" links in notifications are made.
extension ManualSettings {
    /// The base for action links, or nil when there is none usable (then notifications
    /// carry no link, and `publicURLWarning` says why).
    public var actionLinkBase: String? {
        let text = publicURL.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil, url.user == nil else { return nil }
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// What a heartbeat says about `publicURL` (`warning.publicURL`), or nil when all is well.
    public var publicURLWarning: String? {
        let text = publicURL.trimmingCharacters(in: .whitespaces)
        if text.isEmpty {
            return "manual.publicURL is not set: alerts carry no \"I'm OK\" link for other phones; set it to the address phones use to reach this hub"
        }
        guard let base = actionLinkBase else {
            return "manual.publicURL '\(text)' is not an http:// or https:// address (with no ?query or #part): alerts carry no \"I'm OK\" link; set it to the address phones use to reach this hub, e.g. https://hub.local:8471"
        }
        if base.lowercased().hasPrefix("http://") {
            return "manual.publicURL is http://: the \"I'm OK\" links in alerts cross the home network unencrypted until HTTPS is set up"
        }
        return nil
    }
}
