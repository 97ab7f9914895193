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
    /// With `tls`: the PEM of the test CA that signed the broker's certificate (for 127.0.0.1).
    public let caFile: URL?

    /// The broker program, or nil when `mosquitto` is not installed (`deploy/stack test` installs it).
    public static var program: String? {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `users` are name → password (none: anonymous clients allowed); `acl` is the text of
    /// Mosquitto's acl_file (none: every user may read and write everything); `tls`: the
    /// listener speaks only TLS, with a certificate for 127.0.0.1 from a CA made for the test.
    public static func start(users: [String: String] = [:], acl: String? = nil, tls: Bool = false) async throws -> MosquittoTestBroker {
        guard let program else { throw BrokerFailure("mosquitto is not installed: apt-get install mosquitto (deploy/stack test does)") }
        let folder = try TestSupport.temporaryHome("mqtt")
        let port = TestSupport.freePort(on: "127.0.0.1")
        var settings = "listener \(port) 127.0.0.1\npersistence false\nlog_dest stderr\nlog_type all\n"
        var caFile: URL?
        if tls {
            let files = try makeCertificates(in: folder)
            settings += "cafile \(files.ca.path)\ncertfile \(files.certificate.path)\nkeyfile \(files.key.path)\n"
            caFile = files.ca
        }
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
        return MosquittoTestBroker(child: child, port: port, folder: folder, config: config, caFile: caFile)
    }

    private init(child: ChildProcess, port: Int, folder: URL, config: URL, caFile: URL?) {
        self.child = child
        self.port = port
        self.folder = folder
        self.config = config
        self.caFile = caFile
    }

    /// A CA and a server certificate for IP 127.0.0.1 signed by it, made with openssl (the
    /// tests' tool for certificates the product did not make).
    public static func makeCertificates(in folder: URL) throws -> (ca: URL, certificate: URL, key: URL) {
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        try "subjectAltName = IP:127.0.0.1\n".write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("ca.key"), "-out",
                path("ca.pem"), "-days", "2", "-subj", "/CN=SpasmWatch test CA",
            ],
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("server.key"), "-out",
                path("server.csr"), "-subj", "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial", "-out",
                path("server.pem"), "-days", "2", "-extfile", path("server.ext"),
            ],
        ]
        for arguments in steps {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            p.arguments = arguments
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw BrokerFailure("openssl \(arguments.prefix(2).joined(separator: " ")) failed") }
        }
        return (URL(fileURLWithPath: path("ca.pem")), URL(fileURLWithPath: path("server.pem")), URL(fileURLWithPath: path("server.key")))
    }

    private static func launch(_ program: String, config: URL, folder: URL) async throws -> ChildProcess {
        let child = try ChildProcess(program, ["-c", config.path], home: folder)
        guard await child.waitForOutput(" running", timeout: 20) else {
            await child.stop()
            throw BrokerFailure("mosquitto did not start with \(config.path): \(child.stderr)")
        }
        return child
    }

    public var url: String { "\(caFile == nil ? "mqtt" : "mqtts")://127.0.0.1:\(port)" }

    public func url(user: String, password: String) -> String { "\(caFile == nil ? "mqtt" : "mqtts")://\(user):\(password)@127.0.0.1:\(port)" }

    /// Kills the broker (SIGKILL: clients see the connection drop) and starts it again on the
    /// same port.
    public func restart() async throws {
        child.signal(SIGKILL)
        await child.wait(timeout: 10)
        guard let program = Self.program else { return }
        child = try await Self.launch(program, config: config, folder: folder)
    }

    /// Kills the broker and removes its folder, at once: for `defer`, which cannot await. A
    /// `defer { Task { await broker.stop() } }` never ran when the test was the process's
    /// last, and left brokers running after the test run.
    public func kill() {
        child.signal(SIGKILL)
        try? FileManager.default.removeItem(at: folder)
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
