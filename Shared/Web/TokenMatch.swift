/// The one way both HTTP servers compare a secret token (`manual.httpToken`,
/// `sensor.httpToken`): in time independent of where the first difference is, so a client
/// cannot learn the token byte by byte from how fast it is refused.
public enum TokenMatch {
    public static func matches(_ candidate: String, _ token: String) -> Bool {
        let a = Array(candidate.utf8), b = Array(token.utf8)
        guard a.count == b.count, !b.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// The token of an `Authorization: Bearer TOKEN` header value, if it is one.
    public static func bearer(_ header: String?) -> String? {
        guard let header, header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst(7))
    }
}
