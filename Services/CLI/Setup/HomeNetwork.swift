import ArgumentParser
import Foundation
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import SpasmSync

/// Whether a URL's host is on the home network: loopback, private and link-local
/// addresses, and names that only resolve at home (`.local`, `.lan`, `.home`,
/// `.home.arpa`, `.internal`, or a name without a dot).
enum HomeNetwork {
    static func isLocal(_ url: URL) -> Bool {
        guard var host = url.host?.lowercased() else { return false }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        for suffix in [".local", ".lan", ".home", ".home.arpa", ".internal"] where host.hasSuffix(suffix) { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        if octets.count == 4, octets.allSatisfy({ $0 != nil && (0...255).contains($0!) }) {
            let a = octets[0]!
            let b = octets[1]!
            return a == 127 || a == 10 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && (64...127).contains(b))
        }
        if host.contains(":") {  // IPv6
            return host == "::1" || host.hasPrefix("fc") || host.hasPrefix("fd") || host.hasPrefix("fe80")
        }
        return !host.contains(".")
    }
}
