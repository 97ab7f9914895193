import Foundation
import SpasmSync

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The names a request's `Host` may carry (a page on `evil.example` whose name was made to
/// point at 127.0.0.1, DNS rebinding, carries `Host: evil.example` and is refused):
/// localhost, 127.x, ::1, this machine's addresses (getifaddrs; read again, at most every
/// 5 s, when a name is not known, so a new DHCP address works), its hostname and
/// `NAME.local`, the bound address, and the configured extra names (`manual.publicURL`'s
/// host, `manual.allowedHosts`, `sensor.allowedHosts`).
public final class AllowedHosts: Sendable {
    private let fixed: Set<String>
    private let interfaces = Locked<(names: Set<String>, readAt: Date)>((AllowedHosts.interfaceAddresses(), Date()))

    public init(bindHost: String, extra: [String]) {
        var names: Set<String> = ["localhost", "127.0.0.1", "::1"]
        if !["0.0.0.0", "::", ""].contains(bindHost) { names.insert(Self.hostPart(bindHost)) }
        if let host = Self.hostname() {
            names.insert(host)
            let short = host.split(separator: ".").first.map(String.init) ?? host
            names.insert(short)
            names.insert(short + ".local")
            if host.hasSuffix(".local") == false { names.insert(host + ".local") }
        }
        for name in extra where !name.trimmingCharacters(in: .whitespaces).isEmpty {
            names.insert(Self.hostPart(name.trimmingCharacters(in: .whitespaces)))
        }
        fixed = names
    }

    /// True when `authority` (a `Host` value, with or without port) names this server.
    public func allows(_ authority: String) -> Bool {
        let host = Self.hostPart(authority)
        if host.isEmpty { return false }
        if fixed.contains(host) || host.hasPrefix("127.") { return true }
        return interfaces.withLock { state in
            if state.names.contains(host) { return true }
            guard Date().timeIntervalSince(state.readAt) > 5 else { return false }
            state = (Self.interfaceAddresses(), Date())
            return state.names.contains(host)
        }
    }

    /// A few of the allowed names, for the error text.
    public var described: String {
        let lan = interfaces.withLock { $0.names }.subtracting(["127.0.0.1", "::1"])
        return (["localhost", "127.0.0.1", "::1"] + fixed.subtracting(["localhost", "127.0.0.1", "::1"]).sorted() + lan.sorted())
            .joined(separator: ", ")
    }

    /// `Host`/authority without port and brackets, lowercased, without a trailing dot:
    /// "Hub.Local.:8471" → "hub.local", "[::1]:8471" → "::1".
    public static func hostPart(_ authority: String) -> String {
        var text = authority.lowercased()
        if text.hasPrefix("[") {
            text = String(text.dropFirst().prefix { $0 != "]" })
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = String(text[..<colon])
        }
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// This machine's hostname, lowercased (also used for the HTTPS certificate's names).
    public static func hostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = Self.string(buffer).lowercased()
        return name.isEmpty ? nil : name
    }

    /// This machine's numeric addresses, IPv4 and IPv6 (without a `%zone`).
    public static func interfaceAddresses() -> Set<String> {
        var result = Set<String>()
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return result }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = Self.string(buffer).lowercased()
            result.insert(String(text.prefix { $0 != "%" }))
        }
        return result
    }
}
