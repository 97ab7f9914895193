import Foundation
import SpasmErrors
import SpasmSecurity
import Testing

/// The signed per-alert links: bound to one alert, one action and one receiver, for 24 h.
@Suite("Action capabilities")
struct ActionCapabilityTests {
    static let now = 1_795_597_200.0

    static func capability(_ action: CapabilityAction = .ok, receiver: String = "anna", alert: UUID = UUID()) -> ActionCapability {
        ActionCapability(alertId: alert, action: action, receiver: receiver, expiresAt: now + ActionCapability.lifetimeSeconds)
    }

    @Test func aTokenGrantsExactlyWhatItWasMadeFor() throws {
        let key = ActionKey.random()
        for action in CapabilityAction.allCases {
            for receiver in ["anna", "Ben Müller", "night-nurse"] {
                let capability = Self.capability(action, receiver: receiver)
                let token = try #require(key.token(for: capability))
                #expect(ActionKey.looksLikeToken(token[...]), "URL-safe: \(token)")
                #expect(try key.verify(token, now: Self.now) == capability)
            }
        }
    }

    @Test func tokensAreUnguessableAndDifferPerAlertActionAndReceiver() throws {
        let key = ActionKey.random()
        let alert = UUID()
        let tokens = [
            Self.capability(.ok, alert: alert), Self.capability(.help, alert: alert),
            Self.capability(.ok, receiver: "ben", alert: alert), Self.capability(.ok),
        ].compactMap(key.token)
        #expect(Set(tokens).count == 4)
        // Another hub's key: its tokens are forged here.
        let other = ActionKey.random()
        #expect(throws: SpasmError.capabilityForged) { try key.verify(other.token(for: Self.capability())!, now: Self.now) }
    }

    @Test func anAlteredTokenIsForgedAndAShortOneMalformed() throws {
        let key = ActionKey.random()
        let token = try #require(key.token(for: Self.capability()))
        var bytes = try #require(Data(base64Encoded: Self.padded(token)))
        // Point it at another alert (bytes 1…16), the signature no longer matches.
        bytes[5] ^= 0x01
        #expect(throws: SpasmError.capabilityForged) { try key.verify(Self.urlSafe(bytes), now: Self.now) }
        // Turn "ok" into "help".
        var help = try #require(Data(base64Encoded: Self.padded(token)))
        help[17] = CapabilityAction.help.rawValue
        #expect(throws: SpasmError.capabilityForged) { try key.verify(Self.urlSafe(help), now: Self.now) }
        #expect(throws: SpasmError.capabilityMalformed) { try key.verify(String(token.prefix(20)), now: Self.now) }
        #expect(throws: SpasmError.capabilityMalformed) { try key.verify("not a token!", now: Self.now) }
        #expect(throws: SpasmError.capabilityMalformed) { try key.verify("", now: Self.now) }
    }

    @Test func aTokenExpiresAfter24Hours() throws {
        let key = ActionKey.random()
        let token = try #require(key.token(for: Self.capability()))
        #expect(try key.verify(token, now: Self.now + 24 * 3600 - 1).receiver == "anna")
        #expect(throws: SpasmError.capabilityExpired(at: Self.now + 24 * 3600)) { try key.verify(token, now: Self.now + 24 * 3600) }
    }

    @Test func theKeyFileIsCreatedOnceWithMode0600AndSharedByEveryone() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-key-\(UUID().uuidString.prefix(8))/keys")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let first = try ActionKey.load(directory: dir)
        let second = try ActionKey.load(directory: dir)
        let file = dir.appendingPathComponent("actions.key")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["actions.key"], "no temporary file left")
        // What one service signs, the other accepts.
        let token = try #require(first.token(for: Self.capability()))
        #expect(try second.verify(token, now: Self.now).receiver == "anna")
        // A damaged key file is a clear error, not a silent new key.
        try Data([1, 2, 3]).write(to: file)
        let refused = #expect(throws: SpasmError.self) { try ActionKey.load(directory: dir) }
        #expect(refused?.code == .actionKey)
    }

    @Test func linksStartWithThePublicAddress() throws {
        let links = ActionLinks(baseURL: "https://hub.local:8471/", key: ActionKey.random())
        let url = try #require(links.url(alertId: UUID(), action: .ok, receiver: "anna", now: Self.now))
        #expect(url.hasPrefix("https://hub.local:8471/act/"))
        let token = url.dropFirst("https://hub.local:8471/act/".count)
        #expect(try links.key.verify(String(token), now: Self.now).expiresAt == Self.now + 86_400)
        #expect(links.url(alertId: UUID(), action: .ok, receiver: String(repeating: "x", count: 200), now: Self.now) == nil)
    }

    static func padded(_ token: String) -> String {
        var s = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return s
    }

    static func urlSafe(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
