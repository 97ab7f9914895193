import Foundation
import SpasmTestSupport

/// A second host on this machine for tests: a network namespace joined to this one by a
/// veth pair, with two addresses in a private /30 made for the test (traffic stays on
/// this machine). Needs root and iproute2's `ip`; `remove()` undoes everything, and the
/// test calls it in a `defer` so it runs on failure too.
final class SecondHost: Sendable {
    let namespace: String
    let hostInterface: String
    /// This side's address (where a service listens for the second host).
    let hostAddress: String
    /// The second host's address.
    let peerAddress: String

    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let curl = ["/usr/bin/curl", "/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Why the test cannot run here, or nil when it can.
    static var unavailableReason: String? {
        if getuid() != 0 { return "not root: a second network namespace needs root (ip netns add)" }
        if ip == nil { return "iproute2's ip is not installed (apt-get install iproute2)" }
        if curl == nil { return "curl is not installed (apt-get install curl)" }
        return nil
    }

    init() throws {
        let tag = String(UInt32.random(in: 0..<0xFFFF_FFFF), radix: 36)
        namespace = "sw-act-\(tag)"
        hostInterface = "swh\(tag.prefix(8))"
        let peerInterface = "swp\(tag.prefix(8))"
        // 10.213.x.y/30: .1 here, .2 there; random so parallel runs do not meet.
        let third = Int.random(in: 0...255)
        let fourth = Int.random(in: 0...63) * 4
        hostAddress = "10.213.\(third).\(fourth + 1)"
        peerAddress = "10.213.\(third).\(fourth + 2)"
        do {
            try Self.run(["netns", "add", namespace])
            try Self.run(["link", "add", hostInterface, "type", "veth", "peer", "name", peerInterface])
            try Self.run(["link", "set", peerInterface, "netns", namespace])
            try Self.run(["addr", "add", "\(hostAddress)/30", "dev", hostInterface])
            try Self.run(["link", "set", hostInterface, "up"])
            try Self.run(["netns", "exec", namespace, Self.ip!, "addr", "add", "\(peerAddress)/30", "dev", peerInterface])
            try Self.run(["netns", "exec", namespace, Self.ip!, "link", "set", peerInterface, "up"])
            try Self.run(["netns", "exec", namespace, Self.ip!, "link", "set", "lo", "up"])
        } catch {
            remove()
            throw error
        }
    }

    /// Deletes the namespace (which takes the veth pair with it) and the host's end, if left.
    func remove() {
        _ = try? Self.run(["netns", "del", namespace])
        _ = try? Self.run(["link", "del", hostInterface])
    }

    /// Runs curl inside the second host; returns its stdout.
    func curl(_ arguments: [String]) throws -> String {
        try Self.run(["netns", "exec", namespace, Self.curl!, "--silent", "--show-error", "--max-time", "20"] + arguments)
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip!)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("ip \(arguments.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A port on `address` that is free now (bound and released).
    static func freePort(on address: String) -> Int { TestSupport.freePort(on: address) }
}
