import Foundation

/// Mints the links that go out in notifications: `<publicURL>/act/<token>`, one per alert,
/// action and receiver, working for `ActionCapability.lifetimeSeconds`.
public struct ActionLinks: Sendable {
    /// `manual.publicURL` without a trailing slash, e.g. `https://hub.local:8471`.
    public let baseURL: String
    public let key: ActionKey

    public init(baseURL: String, key: ActionKey) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.key = key
    }

    /// The path every link has: `/act/<token>`.
    public static let pathPrefix = "/act/"

    /// The link for one receiver to do `action` to `alertId`, sent at `now`.
    public func url(alertId: UUID, action: CapabilityAction, receiver: String, now: Double) -> String? {
        let capability = ActionCapability(
            alertId: alertId, action: action, receiver: receiver,
            expiresAt: now + ActionCapability.lifetimeSeconds)
        return key.token(for: capability).map { baseURL + Self.pathPrefix + $0 }
    }
}
