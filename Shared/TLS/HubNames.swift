import Foundation
import SpasmWeb

/// The names and addresses phones use to reach this hub, for the HTTPS certificates:
/// the hostname, its short form and `NAME.local`, this machine's LAN addresses (not
/// link-local fe80::), any extra names given (`spasmwatch tls init --name`), and
/// localhost, 127.0.0.1 and ::1.
public struct HubNames: Sendable, Equatable {
    public var dnsNames: [String]
    /// Numeric addresses as text ("192.168.1.20", "fd00::5").
    public var addresses: [String]

    public init(dnsNames: [String], addresses: [String]) {
        self.dnsNames = Self.unique(dnsNames.map { $0.lowercased() })
        self.addresses = Self.unique(addresses.map { $0.lowercased() })
    }

    /// This machine's names now, with `extra` (names or addresses) added.
    public static func current(extra: [String] = []) -> HubNames {
        var names = ["localhost"]
        if let host = AllowedHosts.hostname() {
            let short = host.split(separator: ".").first.map(String.init) ?? host
            names += [host, short, short + ".local"]
            if !host.hasSuffix(".local") && host != short { names.append(host + ".local") }
        }
        var addresses = ["127.0.0.1", "::1"]
        addresses += AllowedHosts.interfaceAddresses().filter { !$0.hasPrefix("fe80:") && !$0.hasPrefix("127.") && $0 != "::1" }.sorted()
        for item in extra.map({ AllowedHosts.hostPart($0.trimmingCharacters(in: .whitespaces)) }) where !item.isEmpty {
            if IPBytes.parse(item) != nil { addresses.append(item) } else { names.append(item) }
        }
        return HubNames(dnsNames: names, addresses: addresses)
    }

    /// Everything, names first.
    public var all: [String] { dnsNames + addresses }

    /// What `extra` must be: a DNS name (letters, digits, '-', '.') or an IP address.
    public static func invalid(_ extra: [String]) -> String? {
        for item in extra {
            let text = AllowedHosts.hostPart(item.trimmingCharacters(in: .whitespaces))
            if IPBytes.parse(text) != nil { continue }
            let labels = text.split(separator: ".", omittingEmptySubsequences: false)
            let ok =
                !text.isEmpty && text.count <= 253
                && labels.allSatisfy { label in
                    !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                        && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                }
            if !ok { return "--name '\(item)' is not a host name (letters, digits and '-', dot-separated, e.g. hub.home.arpa) nor an IP address" }
        }
        return nil
    }

    private static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}

/// IPv4/IPv6 text to network-order bytes, and back.
public enum IPBytes {
    public static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    public static func text(_ bytes: some Collection<UInt8>) -> String? {
        let array = Array(bytes)
        var buffer = [CChar](repeating: 0, count: 64)
        let family = array.count == 4 ? AF_INET : array.count == 16 ? AF_INET6 : -1
        guard family != -1, array.withUnsafeBytes({ inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
