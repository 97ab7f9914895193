import Foundation
import SpasmSync

/// A real Debian `mosquitto` on a free loopback port with its own config, password file and
/// ACL in a private temporary folder. Tests that use it are `.serialized` and stop it.
public final class MosquittoTestBroker: @unchecked Sendable {
    // Safe: `child` is replaced only by `restart()`, which tests call from their own task.
    public private(set) var child: ChildProcess
    public let port: Int
    public let folder: URL
    public let config: URL

    /// The broker program, or nil when `mosquitto` is not installed (`deploy/stack test` installs it).
    public static var program: String? {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `users` are name → password (none: anonymous clients allowed); `acl` is the text of
    /// Mosquitto's acl_file (none: every user may read and write everything).
    public static func start(users: [String: String] = [:], acl: String? = nil) async throws -> MosquittoTestBroker {
        guard let program else { throw BrokerFailure("mosquitto is not installed: apt-get install mosquitto (deploy/stack test does)") }
        let folder = try TestSupport.temporaryHome("mqtt")
        let port = TestSupport.freePort(on: "127.0.0.1")
        var settings = "listener \(port) 127.0.0.1\npersistence false\nlog_dest stderr\nlog_type all\n"
        // As root mosquitto drops to the user `mosquitto`, who cannot read our private folder.
        if getuid() == 0 { settings += "user root\n" }
        if users.isEmpty {
            settings += "allow_anonymous true\n"
        } else {
            let passwords = folder.appendingPathComponent("passwords")
            guard FileManager.default.createFile(atPath: passwords.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw BrokerFailure("could not make \(passwords.path)")
            }
            for (user, password) in users {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_passwd")
                p.arguments = ["-b", passwords.path, user, password]
                try p.run()
                p.waitUntilExit()
                guard p.terminationStatus == 0 else { throw BrokerFailure("mosquitto_passwd failed for \(user)") }
            }
            settings += "allow_anonymous false\npassword_file \(passwords.path)\n"
        }
        if let acl {
            let file = folder.appendingPathComponent("acl")
            try acl.write(to: file, atomically: true, encoding: .utf8)
            settings += "acl_file \(file.path)\n"
        }
        let config = folder.appendingPathComponent("mosquitto.conf")
        try settings.write(to: config, atomically: true, encoding: .utf8)
        let child = try await launch(program, config: config, folder: folder)
        return MosquittoTestBroker(child: child, port: port, folder: folder, config: config)
    }

    private init(child: ChildProcess, port: Int, folder: URL, config: URL) {
        self.child = child
        self.port = port
        self.folder = folder
        self.config = config
    }

    private static func launch(_ program: String, config: URL, folder: URL) async throws -> ChildProcess {
        let child = try ChildProcess(program, ["-c", config.path], home: folder)
        guard await child.waitForOutput(" running", timeout: 20) else {
            await child.stop()
            throw BrokerFailure("mosquitto did not start with \(config.path): \(child.stderr)")
        }
        return child
    }

    public var url: String { "mqtt://127.0.0.1:\(port)" }

    public func url(user: String, password: String) -> String { "mqtt://\(user):\(password)@127.0.0.1:\(port)" }

    /// Kills the broker (SIGKILL: clients see the connection drop) and starts it again on the
    /// same port.
    public func restart() async throws {
        child.signal(SIGKILL)
        await child.wait(timeout: 10)
        guard let program = Self.program else { return }
        child = try await Self.launch(program, config: config, folder: folder)
    }

    public func stop() async {
        await child.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

extension TestSupport {
    /// A TCP port on `address` that is free now (`FreePort`, shared with the benchmarks).
    public static func freePort(on address: String) -> Int { FreePort.tcp(on: address) }
}

struct BrokerFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
