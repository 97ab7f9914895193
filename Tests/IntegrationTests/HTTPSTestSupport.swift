import Foundation
import SpasmTestSupport

/// HTTPS in process tests: the real `spasmwatch tls init` on a test home, and curl (or
/// openssl) that trusts that home's CA.
enum HTTPSTest {
    /// Runs `spasmwatch tls init` (with `arguments`) on `home`; returns the CA certificate's path.
    @discardableResult
    static func initialize(home: URL, _ arguments: [String] = []) async throws -> URL {
        let run = try ChildProcess("spasmwatch", ["tls", "init"] + arguments, home: home)
        guard await run.wait(timeout: 60) == 0 else { throw TestFailure("spasmwatch tls init failed: \(run.stdout) \(run.stderr)") }
        return tlsDirectory(home).appendingPathComponent("ca.pem")
    }

    static func tlsDirectory(_ home: URL) -> URL { home.appendingPathComponent("keys/tls") }

    struct Answer: CustomStringConvertible {
        let exitCode: Int32
        let status: Int
        /// Lowercased names.
        let headers: [String: String]
        let body: String
        var description: String { "curl exit \(exitCode), HTTP \(status), \(headers), \(body.prefix(300))" }
    }

    /// curl with the home's CA trusted; `namespace` runs it inside a second host.
    static func curl(_ arguments: [String], ca: URL?, namespace: String? = nil) throws -> Answer {
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("curl-headers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        var command = ["/usr/bin/curl", "-sS", "--max-time", "20", "--dump-header", headerFile.path, "--write-out", "\n%{http_code}"]
        if let ca { command += ["--cacert", ca.path] }
        command += arguments
        if let namespace { command = [SecondHost.ip!, "netns", "exec", namespace] + command }
        let (code, output) = try run(command)
        let status = Int(output.split(separator: "\n").last ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in ((try? String(contentsOf: headerFile, encoding: .utf8)) ?? "").components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = output.hasSuffix(String(status)) ? String(output.dropLast(String(status).count)) : output
        return Answer(exitCode: code, status: status, headers: headers, body: body)
    }

    /// Runs a program; returns its exit code and stdout (stderr appended).
    static func run(_ command: [String], input: Data? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self) + String(decoding: errors, as: UTF8.self))
    }

    /// `openssl x509 -noout ARGS -in FILE` (openssl verifies in tests only; the project never runs it).
    /// The text of the first QR code drawn in `html` (QRCode.svg's unit squares), read back by
    /// zbar's `zbarimg` from a bitmap of it (8 pixels a module), as a phone's camera would.
    static func decodeQR(inHTML html: String) throws -> String {
        guard let svgStart = html.range(of: "<svg"), let viewBox = html.range(of: #"viewBox="0 0 "#, range: svgStart.upperBound..<html.endIndex),
            let d = html.range(of: #" d=""#, range: svgStart.upperBound..<html.endIndex)
        else { throw TestFailure("no QR code in the page") }
        let side = Int(html[viewBox.upperBound...].prefix { $0.isNumber }) ?? 0
        let path = html[d.upperBound...].prefix { $0 != "\"" }
        let scale = 8
        let pixels = side * scale
        var bitmap = [UInt8](repeating: 255, count: pixels * pixels)
        for square in path.split(separator: "M") {
            let numbers = square.prefix { $0 != "h" }.split(separator: " ").compactMap { Int($0) }
            guard numbers.count == 2 else { continue }
            for y in numbers[1] * scale..<(numbers[1] + 1) * scale {
                for x in numbers[0] * scale..<(numbers[0] + 1) * scale { bitmap[y * pixels + x] = 0 }
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sw-qr-\(UUID().uuidString).pgm")
        defer { try? FileManager.default.removeItem(at: file) }
        try (Data("P5\n\(pixels) \(pixels)\n255\n".utf8) + Data(bitmap)).write(to: file)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg") else {
            throw TestFailure("zbarimg is missing: apt-get install zbar-tools (deploy/stack test installs it)")
        }
        let (code, output) = try run(["/usr/bin/zbarimg", "--raw", "-q", file.path])
        guard code == 0 else { throw TestFailure("zbarimg read no QR code (\(code)): \(output)") }
        // Its first line; zbar may add D-Bus complaints after it.
        return String(output.split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
    }

    static func x509(_ file: URL, _ arguments: [String]) throws -> String {
        let (code, output) = try run(["/usr/bin/openssl", "x509", "-noout", "-in", file.path] + arguments)
        guard code == 0 else { throw TestFailure("openssl x509 \(arguments): \(output)") }
        return output
    }

    /// The certificate's notBefore and notAfter.
    static func validity(_ file: URL) throws -> (start: Date, end: Date) {
        let text = try x509(file, ["-dates", "-dateopt", "iso_8601"])
        func date(_ key: String) throws -> Date {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + "=") }) else { throw TestFailure("no \(key) in \(text)") }
            let value = String(line.dropFirst(key.count + 1)).replacingOccurrences(of: " ", with: "T")
            guard let parsed = ISO8601DateFormatter().date(from: value) else { throw TestFailure("cannot read \(value)") }
            return parsed
        }
        return (try date("notBefore"), try date("notAfter"))
    }

    static func mode(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
    }
}
