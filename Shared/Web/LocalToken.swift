import Foundation

#if canImport(Glibc)
    import Glibc
    import SpasmErrors
#endif

/// The token both HTTP servers require when none is configured: 32 random bytes, hex, in
/// `<home>/keys/http.token` (0600, folder 0700), made by whichever server starts first (the
/// diary page or the sensor endpoint) and then kept. A local program (another user on this
/// machine) cannot read it, so it cannot read the diary or post frames; the owner reads it
/// with `cat` or opens the page with `?token=` (`deploy/stack up` prints that address). A
/// configured `manual.httpToken` / `sensor.httpToken` wins.
public enum LocalToken {
    public static let fileName = "http.token"

    /// `configured` when set, else the home's token (created atomically when missing: a
    /// private temporary file linked into place, so two servers starting together agree).
    public static func resolve(configured: String, keyDirectory: URL) throws -> String {
        if !configured.isEmpty { return configured }
        let file = keyDirectory.appendingPathComponent(fileName)
        if let existing = try? String(contentsOf: file, encoding: .utf8) { return try checked(existing, file: file) }
        try FileManager.default.createDirectory(
            at: keyDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        var generator = SystemRandomNumberGenerator()
        let text = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined() + "\n"
        let temporary = keyDirectory.appendingPathComponent(".\(fileName).\(getpid()).\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SpasmError(.localToken, "could not write \(temporary.path)")
        }
        defer { unlink(temporary.path) }
        // link() fails when the file exists: then the other server won the race, and its token counts.
        if link(temporary.path, file.path) != 0 && errno != EEXIST {
            throw SpasmError(.localToken, "could not create \(file.path): \(String(cString: strerror(errno)))")
        }
        return try checked(try String(contentsOf: file, encoding: .utf8), file: file)
    }

    private static func checked(_ text: String, file: URL) throws -> String {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16 else {
            throw SpasmError(.localToken, "\(file.path) holds no usable token (fewer than 16 characters): remove it and restart manual and sensor")
        }
        return token
    }
}

extension SpasmError.Code {
    /// The home's HTTP token (`keys/http.token`) cannot be made or read.
    public static let localToken = SpasmError.Code("local-token")
}
