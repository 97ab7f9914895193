import Foundation
import SpasmSync

/// Random (version 4) UUIDs for message ids, made fast. Foundation's `UUID()` asks the kernel
/// for randomness on every call (about 1.8 µs here); a message id needs uniqueness, not
/// secrecy, so ids come from xoshiro256** seeded once per process with 256 bits of system
/// randomness. 122 random bits per id, as in `UUID()`.
extension UUID {
    public static func fastRandom() -> UUID {
        let (a, b) = IdentifierGenerator.shared.withLock { ($0.next(), $0.next()) }
        var bytes = (a.bigEndian, b.bigEndian)
        return withUnsafeMutableBytes(of: &bytes) { raw -> UUID in
            raw[6] = (raw[6] & 0x0F) | 0x40  // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80  // RFC 4122 variant
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }

    /// A version-7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids
    /// made one after another sort in time order, so the store's primary-key index grows
    /// at its end instead of at random pages. Used for message ids; ids people type a
    /// prefix of (entries, episodes, alerts) stay random, since their first 8 hex digits
    /// must differ.
    public static func timeOrdered(now: Double = Date().timeIntervalSince1970) -> UUID {
        let milliseconds = UInt64(max(0, now * 1000)) & 0xFFFF_FFFF_FFFF
        let (a, b) = IdentifierGenerator.shared.withLock { ($0.next(), $0.next()) }
        let high = milliseconds << 16 | 0x7000 | (a & 0x0FFF)
        let low = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var bytes = (high.bigEndian, low.bigEndian)
        return withUnsafeBytes(of: &bytes) { UUID(uuid: $0.load(as: uuid_t.self)) }
    }

    /// Parses the canonical form `8-4-4-4-12` hex digits (either case) without Foundation's
    /// slower general parser; nil for anything else.
    public init?(canonicalBytes text: UnsafeRawBufferPointer) {
        guard text.count == 36, text[8] == 45, text[13] == 45, text[18] == 45, text[23] == 45 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var i = 0
            for k in 0..<16 {
                if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
                guard let high = FlatJSON.hexValue(text[i]), let low = FlatJSON.hexValue(text[i + 1]) else { return false }
                out[k] = UInt8(high << 4 | low)
                i += 2
            }
            return true
        }
        guard ok else { return nil }
        self.init(uuid: bytes)
    }

    /// The same text as `uuidString` (uppercase, canonical), made without Foundation.
    public var canonicalString: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        appendCanonical(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The uppercase canonical text (what `uuidString` gives), as bytes.
    func appendCanonical(to out: inout [UInt8]) {
        let digits: StaticString = "0123456789ABCDEF"
        withUnsafeBytes(of: uuid) { raw in
            for k in 0..<16 {
                if k == 4 || k == 6 || k == 8 || k == 10 { out.append(45) }
                out.append(digits.utf8Start[Int(raw[k] >> 4)])
                out.append(digits.utf8Start[Int(raw[k] & 15)])
            }
        }
    }
}

/// xoshiro256** (Blackman and Vigna), seeded from the system generator.
struct IdentifierGenerator {
    static let shared = Locked(IdentifierGenerator())
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        s = (system.next(), system.next(), system.next(), system.next())
        if s == (0, 0, 0, 0) { s.0 = 1 }
    }

    mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
