import Crypto
import Foundation

/// The one way both HTTP servers compare a secret token (`manual.httpToken`,
/// `sensor.httpToken`, or the home's `keys/http.token`): both sides are hashed with SHA-256
/// first and the two 32-byte digests compared in time independent of where the first
/// difference is, so a client learns neither the token byte by byte nor its length from how
/// fast it is refused.
public enum TokenMatch {
    public static func matches(_ candidate: String, _ token: String) -> Bool {
        guard !token.isEmpty else { return false }
        let a = Array(SHA256.hash(data: Data(candidate.utf8)))
        let b = Array(SHA256.hash(data: Data(token.utf8)))
        var diff: UInt8 = 0
        for i in 0..<min(a.count, b.count) { diff |= a[i] ^ b[i] }
        return diff == 0 && a.count == b.count
    }

    /// The token of an `Authorization: Bearer TOKEN` header value, if it is one.
    public static func bearer(_ header: String?) -> String? {
        guard let header, header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst(7))
    }
}
