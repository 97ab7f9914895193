import Crypto
import Foundation
import SpasmErrors

/// What an action link lets its holder do, and nothing else.
public enum CapabilityAction: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// "I'm OK": acknowledge the alert.
    case ok = 1
    /// "I need help": tell every remaining receiver at once.
    case help = 2

    public var description: String { self == .ok ? "ok" : "help" }
}

/// One per-alert capability: the holder of the link may do `action` to `alertId`, in the
/// name of `receiver` (the one it was sent to), until `expiresAt`.
public struct ActionCapability: Sendable, Equatable {
    public var alertId: UUID
    public var action: CapabilityAction
    public var receiver: String
    /// Unix seconds.
    public var expiresAt: Double

    /// How long a link works after it was sent.
    public static let lifetimeSeconds: Double = 24 * 3600
    /// Receiver names longer than this (UTF-8 bytes) get no link.
    public static let maxReceiverBytes = 128

    public init(alertId: UUID, action: CapabilityAction, receiver: String, expiresAt: Double) {
        self.alertId = alertId
        self.action = action
        self.receiver = receiver
        self.expiresAt = expiresAt
    }
}

extension SpasmError.Code {
    /// Not a token this hub makes (cut short, wrong characters, unknown version).
    public static let capabilityMalformed = SpasmError.Code("capability.malformed")
    /// The signature does not match: altered, made up, or from another hub.
    public static let capabilityForged = SpasmError.Code("capability.forged")
    /// Valid, but older than its lifetime.
    public static let capabilityExpired = SpasmError.Code("capability.expired")
    /// `keys/actions.key` cannot be made or read.
    public static let actionKey = SpasmError.Code("action-key")
}

/// Why a link was refused, in words for the page that says so.
extension SpasmError {
    public static let capabilityMalformed = SpasmError(
        .capabilityMalformed, "This link is not a SpasmWatch action link (it may have been cut short when it was copied).")
    public static let capabilityForged = SpasmError(
        .capabilityForged, "This link was not made by this SpasmWatch hub, or it was changed after it was sent.")
    /// `detail`: when it expired (Unix seconds).
    public static func capabilityExpired(at: Double) -> SpasmError {
        SpasmError(.capabilityExpired, "This link has expired: action links work for 24 hours after the alert.", detail: "\(at)")
    }
}

/// The key that signs action links: 32 random bytes in `<home>/keys/actions.key` (0600),
/// created by whichever service needs it first. Both notify (which mints links) and
/// manual (which checks them) read the same file.
public struct ActionKey: Sendable {
    /// The raw key (SymmetricKey is not Sendable in swift-crypto 3; one is made per use).
    let bytes: Data

    public init(bytes: Data) { self.bytes = bytes }

    /// A fresh random key (tests).
    public static func random() -> ActionKey { ActionKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }) }

    /// Reads the key in `directory/actions.key`, creating it atomically when missing: the
    /// bytes go to a private temporary file that is then linked into place, so a reader
    /// never sees a half-written key and two services starting together agree on one.
    public static func load(directory: URL) throws -> ActionKey {
        let file = directory.appendingPathComponent("actions.key")
        if let existing = try? Data(contentsOf: file) { return try checked(existing, file: file) }
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".actions.key.\(getpid()).\(UUID().uuidString.prefix(8))")
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: temporary.path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw SpasmError(.actionKey, "could not write \(temporary.path)")
        }
        defer { unlink(temporary.path) }
        // link() fails when the file exists: then another service won the race, and its key counts.
        if link(temporary.path, file.path) != 0 && errno != EEXIST {
            throw SpasmError(.actionKey, "could not create \(file.path): \(String(cString: strerror(errno)))")
        }
        return try checked(try Data(contentsOf: file), file: file)
    }

    private static func checked(_ data: Data, file: URL) throws -> ActionKey {
        guard data.count == 32 else {
            throw SpasmError(
                .actionKey, "\(file.path) holds \(data.count) bytes, not 32: remove it and restart notify and manual (old links stop working)")
        }
        return ActionKey(bytes: data)
    }

    // MARK: Tokens

    /// Token layout, before base64url: version (1) · alert id (16) · action (1) · expiry,
    /// Unix seconds big-endian (4) · receiver length (1) · receiver UTF-8 · HMAC-SHA256 of
    /// all that, first 16 bytes.
    static let version: UInt8 = 1
    static let macBytes = 16

    /// The token for one capability, or nil when the receiver's name is too long.
    public func token(for capability: ActionCapability) -> String? {
        let receiver = Data(capability.receiver.utf8)
        guard receiver.count <= ActionCapability.maxReceiverBytes else { return nil }
        var payload = Data([Self.version])
        withUnsafeBytes(of: capability.alertId.uuid) { payload.append(contentsOf: $0) }
        payload.append(capability.action.rawValue)
        let expiry = UInt32(clamping: Int64(capability.expiresAt.rounded(.down))).bigEndian
        withUnsafeBytes(of: expiry) { payload.append(contentsOf: $0) }
        payload.append(UInt8(receiver.count))
        payload.append(receiver)
        payload.append(mac(payload))
        return Self.base64url(payload)
    }

    /// The capability a token grants at `now`, or why it grants none.
    public func verify(_ token: String, now: Double) throws(SpasmError) -> ActionCapability {
        guard token.count <= 512, let data = Self.unbase64url(token), data.count >= 1 + 16 + 1 + 4 + 1 + Self.macBytes,
            data[data.startIndex] == Self.version
        else { throw .capabilityMalformed }
        let bytes = [UInt8](data)
        let receiverCount = Int(bytes[22])
        guard bytes.count == 23 + receiverCount + Self.macBytes else { throw .capabilityMalformed }
        let payload = Data(bytes[0..<(23 + receiverCount)])
        let expected = [UInt8](mac(payload))
        let given = Array(bytes[(23 + receiverCount)...])
        var difference: UInt8 = 0
        for i in 0..<Self.macBytes { difference |= expected[i] ^ given[i] }
        guard difference == 0 else { throw .capabilityForged }
        guard let action = CapabilityAction(rawValue: bytes[17]),
            let receiver = String(bytes: bytes[23..<(23 + receiverCount)], encoding: .utf8)
        else { throw .capabilityMalformed }
        let alertId = UUID(
            uuid: (
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15], bytes[16]
            ))
        let expiry = Double(UInt32(bytes[18]) << 24 | UInt32(bytes[19]) << 16 | UInt32(bytes[20]) << 8 | UInt32(bytes[21]))
        guard now < expiry else { throw .capabilityExpired(at: expiry) }
        return ActionCapability(alertId: alertId, action: action, receiver: receiver, expiresAt: expiry)
    }

    private func mac(_ payload: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: bytes))).prefix(Self.macBytes)
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ text: String) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base)
    }

    /// True when `text` could be a token (the characters base64url uses): the one path
    /// shape the diary lets in without its page token.
    public static func looksLikeToken(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 512 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
