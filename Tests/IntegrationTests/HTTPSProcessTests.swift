import Foundation
import SpasmTestSupport
import Testing

/// HTTPS on the home network (docs/https.md): `spasmwatch tls init` as a person runs it, the
/// certificates read back by openssl, the diary page fetched over HTTPS from a second host
/// that trusts the home's CA, no plain HTTP beyond loopback, and renewal on start.
@Suite("HTTPS on the home network", .serialized)
struct HTTPSProcessTests {
    @Test func tlsInitMakesAConstrainedCAAndAShortLivedServerCertificate() async throws {
        let home = try TestSupport.temporaryHome("tls-init")
        defer { try? FileManager.default.removeItem(at: home) }
        let ca = try await HTTPSTest.initialize(home: home, ["--name", "hub.home.arpa", "--name", "10.99.0.7"])
        let directory = HTTPSTest.tlsDirectory(home)
        let server = directory.appendingPathComponent("server.pem")

        // The server certificate: DNS and IP names, serverAuth, at most 398 days.
        let text = try HTTPSTest.x509(server, ["-text"])
        for name in ["DNS:localhost", "DNS:hub.home.arpa", "IP Address:127.0.0.1", "IP Address:10.99.0.7", "IP Address:0:0:0:0:0:0:0:1"] {
            #expect(text.contains(name), "\(name) in \(text)")
        }
        let kernelName = (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)) ?? ""
        let hostname = kernelName.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().split(separator: ".").first.map(String.init) ?? ""
        #expect(text.contains("DNS:\(hostname).local"), "\(text)")
        #expect(text.contains("TLS Web Server Authentication"))
        #expect(text.contains("CA:FALSE"))
        let validity = try HTTPSTest.validity(server)
        #expect(validity.end.timeIntervalSince(validity.start) <= 398 * 86_400, "\(validity)")
        #expect(validity.end.timeIntervalSinceNow > 390 * 86_400, "\(validity)")

        // The CA: a CA that may sign certificates, limited (critically) to this hub's names.
        let caText = try HTTPSTest.x509(ca, ["-text"])
        #expect(caText.contains("X509v3 Name Constraints: critical"), "\(caText)")
        #expect(caText.contains("DNS:hub.home.arpa"))
        #expect(caText.contains("IP:10.99.0.7/255.255.255.255"))
        #expect(caText.contains("IP:127.0.0.1/255.255.255.255"))
        #expect(caText.contains("CA:TRUE"))
        #expect(caText.contains("X509v3 Basic Constraints: critical"))
        #expect(caText.contains("Certificate Sign"))
        let verify = try HTTPSTest.run(["/usr/bin/openssl", "verify", "-CAfile", ca.path, "-purpose", "sslserver", server.path])
        #expect(verify.0 == 0 && verify.1.contains("OK"), "\(verify)")

        // Private: keys 0600 in a 0700 folder.
        #expect(HTTPSTest.mode(directory.appendingPathComponent("ca.key")) == 0o600)
        #expect(HTTPSTest.mode(directory.appendingPathComponent("server.key")) == 0o600)
        #expect(HTTPSTest.mode(directory) == 0o700)

        // Again: a new server certificate from the same CA; --new-ca replaces the CA.
        let firstCA = try Data(contentsOf: ca)
        let firstServer = try Data(contentsOf: server)
        try await HTTPSTest.initialize(home: home)
        #expect(try Data(contentsOf: ca) == firstCA)
        #expect(try Data(contentsOf: server) != firstServer)
        #expect(try HTTPSTest.x509(server, ["-text"]).contains("DNS:hub.home.arpa"), "names the CA covers are kept")

        // A name the CA does not cover, and a lifetime phones refuse, are refused in words.
        let uncovered = try ChildProcess("spasmwatch", ["tls", "init", "--name", "other.example"], home: home)
        #expect(await uncovered.wait(timeout: 60) != 0)
        #expect(uncovered.stderr.contains("does not cover other.example"), "\(uncovered.stderr)")
        let long = try ChildProcess("spasmwatch", ["tls", "init", "--days", "500"], home: home)
        #expect(await long.wait(timeout: 60) != 0)
        #expect(long.stderr.contains("1 to 398 days"), "\(long.stderr)")
        #expect(try Data(contentsOf: ca) == firstCA)

        try await HTTPSTest.initialize(home: home, ["--new-ca", "--name", "other.example"])
        #expect(try Data(contentsOf: ca) != firstCA)
        #expect(try HTTPSTest.x509(server, ["-text"]).contains("DNS:other.example"))
    }

    @Test(.enabled(if: SecondHost.unavailableReason == nil, "\(SecondHost.unavailableReason ?? "")"))
    func thePageOverHTTPSFromASecondHostAndNoPlainHTTPBeyondLoopback() async throws {
        let host = try SecondHost()
        defer { host.remove() }
        let home = try TestSupport.temporaryHome("tls-netns")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = SecondHost.freePort(on: host.hostAddress)
        let token = "page-\(UUID().uuidString.prefix(8))"
        try #"{"manual": {"httpHost": "\#(host.hostAddress)", "httpPort": \#(port), "httpToken": "\#(token)", "wearThisPhone": true}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))

        // No certificate: the diary does not open to the network in clear.
        let refused = try ChildProcess("spasmwatch-manual", home: home)
        #expect(await refused.wait(timeout: 30).map { $0 != 0 } == true)
        #expect(refused.stderr.contains("beyond loopback"), "\(refused.stderr)")
        #expect(refused.stderr.contains("Run `spasmwatch tls init` once"), "\(refused.stderr)")

        let ca = try await HTTPSTest.initialize(home: home)
        let manual = try ChildProcess("spasmwatch-manual", home: home)
        let base = "https://\(host.hostAddress):\(port)"
        #expect(await manual.waitForOutput("diary page at \(base)/"), "\(manual.stderr)")

        // From the second host, trusting the CA: the token once, then a Secure cookie and
        // an address without the token.
        let first = try HTTPSTest.curl(["\(base)/?token=\(token)"], ca: ca, namespace: host.namespace)
        #expect(first.exitCode == 0 && first.status == 303, "\(first)")
        #expect(first.headers["location"] == "/", "\(first)")
        let cookie = try #require(first.headers["set-cookie"])
        #expect(cookie.hasPrefix("spasmwatch_token=\(token);"))
        #expect(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        let page = try HTTPSTest.curl(["-H", "Cookie: spasmwatch_token=\(token)", "\(base)/"], ca: ca, namespace: host.namespace)
        #expect(page.status == 200 && page.body.contains("SpasmWatch diary"), "\(page)")
        #expect(page.body.contains("href=\"/trust\""))
        let trust = try HTTPSTest.curl(["-H", "Cookie: spasmwatch_token=\(token)", "\(base)/trust"], ca: ca, namespace: host.namespace)
        #expect(trust.status == 200, "\(trust)")
        #expect(trust.body.contains("Certificate Trust Settings"))
        #expect(trust.body.contains("<svg") && trust.body.contains("<path"), "a QR code")
        // The QR code, read back as a camera would: this page's own address with its token.
        let scanned = try HTTPSTest.decodeQR(inHTML: trust.body)
        let link = URLComponents(string: scanned)
        // (the hub's public address, manual.publicURL: its .local name, the same port)
        #expect(
            link?.scheme == "https" && link?.port == port && link?.path == "/trust"
                && link?.queryItems?.first { $0.name == "token" }?.value == token, "the QR code says \(scanned)")
        let tokenless = try HTTPSTest.curl(["\(base)/trust"], ca: ca, namespace: host.namespace)
        #expect(tokenless.status == 401 && !tokenless.body.contains("<svg"), "no token, no QR code: \(tokenless)")

        // The phone's WebSocket rides inside the same TLS: the page's origin with its cookie is upgraded.
        let upgrade = try HTTPSTest.curl(
            [
                "--http1.1", "--max-time", "3", "-H", "Cookie: spasmwatch_token=\(token)", "-H", "Origin: \(base)",
                "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "\(base)/wear/socket",
            ],
            ca: ca, namespace: host.namespace)
        // (curl then waits on the open socket until --max-time: the switch shows in its headers.)
        #expect(upgrade.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "wss:// inside the page's TLS: \(upgrade)")

        // The CA certificate, DER for phones, PEM for computers, the same certificate.
        let der = home.appendingPathComponent("ca.der")
        let download = try HTTPSTest.curl(["--output", der.path, "\(base)/trust/ca.crt"], ca: ca, namespace: host.namespace)
        #expect(download.status == 200 && download.headers["content-type"] == "application/x-x509-ca-cert", "\(download)")
        let fromDER = try HTTPSTest.run(["/usr/bin/openssl", "x509", "-inform", "der", "-in", der.path, "-noout", "-fingerprint", "-sha256"])
        let fromPEM = try HTTPSTest.x509(ca, ["-fingerprint", "-sha256"])
        #expect(fromDER.0 == 0 && fromDER.1 == fromPEM, "\(fromDER) vs \(fromPEM)")
        let pem = try HTTPSTest.curl(["\(base)/trust/ca.pem"], ca: ca, namespace: host.namespace)
        #expect(pem.headers["content-type"] == "application/x-x509-ca-cert")
        #expect(
            pem.body.trimmingCharacters(in: .whitespacesAndNewlines)
                == (try String(contentsOf: ca, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines))

        // Without trusting the CA, curl refuses the hub; plain HTTP gets no page at all.
        let untrusted = try HTTPSTest.curl(["\(base)/"], ca: nil, namespace: host.namespace)
        #expect(untrusted.exitCode != 0 && untrusted.status == 0, "\(untrusted)")
        let plain = try HTTPSTest.curl(["http://\(host.hostAddress):\(port)/?token=\(token)"], ca: nil, namespace: host.namespace)
        #expect(plain.exitCode != 0 && plain.status == 0, "\(plain)")

        await manual.stop()
        await bus.stop()
    }

    /// Both servers beyond loopback: the sensor's HTTP endpoint refuses to start without a
    /// certificate too; with one it serves HTTPS, and a certificate near its end is issued
    /// again at start (from the same CA).
    @Test func aServerCertificateNearItsEndIsRenewedOnStartAndANewOneServedWhileRunning() async throws {
        let home = try TestSupport.temporaryHome("tls-renew")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = SecondHost.freePort(on: "127.0.0.1")
        try #"{"sensor": {"httpHost": "0.0.0.0", "httpPort": \#(port), "httpToken": "sensor-secret"}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let refused = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await refused.wait(timeout: 30).map { $0 != 0 } == true)
        #expect(refused.stderr.contains("sensor.httpHost is '0.0.0.0' (beyond loopback)"), "\(refused.stderr)")

        let ca = try await HTTPSTest.initialize(home: home, ["--days", "10"])
        let caBytes = try Data(contentsOf: ca)
        let server = HTTPSTest.tlsDirectory(home).appendingPathComponent("server.pem")
        #expect(try HTTPSTest.validity(server).end.timeIntervalSinceNow < 11 * 86_400)
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"), "\(sensor.stderr)")
        #expect(sensor.stderr.contains("issued the HTTPS server certificate again"), "\(sensor.stderr)")
        #expect(try HTTPSTest.validity(server).end.timeIntervalSinceNow > 390 * 86_400)
        #expect(try Data(contentsOf: ca) == caBytes, "renewal keeps the CA")
        let list = try HTTPSTest.curl(["-H", "Authorization: Bearer sensor-secret", "https://localhost:\(port)/api/sensors"], ca: ca)
        #expect(list.status == 200, "\(list)")
        let served = try HTTPSTest.run([
            "/bin/sh", "-c",
            "/usr/bin/openssl s_client -connect 127.0.0.1:\(port) -servername localhost </dev/null 2>/dev/null | /usr/bin/openssl x509 -noout -serial",
        ])
        #expect(served.1 == (try HTTPSTest.x509(server, ["-serial"])), "the renewed certificate is the one served")

        // While it runs: a certificate `spasmwatch tls init` writes is served from the next
        // connection on, with no restart (the same path a renewal near the end takes).
        _ = try await HTTPSTest.initialize(home: home)
        let again = try HTTPSTest.run([
            "/bin/sh", "-c",
            "/usr/bin/openssl s_client -connect 127.0.0.1:\(port) -servername localhost </dev/null 2>/dev/null | /usr/bin/openssl x509 -noout -serial",
        ])
        let nowOnDisk = try HTTPSTest.x509(server, ["-serial"])
        #expect(again.1 != served.1 && again.1 == nowOnDisk, "served \(again.1), before \(served.1)")
        #expect(try HTTPSTest.curl(["-H", "Authorization: Bearer sensor-secret", "https://localhost:\(port)/api/sensors"], ca: ca).status == 200)
        await sensor.stop()
        await bus.stop()
    }
}
