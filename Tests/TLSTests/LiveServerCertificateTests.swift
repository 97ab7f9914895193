import Foundation
import Logging
import SpasmSync
import SpasmTLS
import Testing
import X509

/// A server that runs for a year: the certificate it hands out at a TLS hello is issued again
/// from the home's CA once it comes within 30 days of its end, and one `spasmwatch tls init`
/// wrote is picked up without a restart. The clock is the only mock.
@Suite("A running server's HTTPS certificate")
struct LiveServerCertificateTests {
    final class Clock: Sendable {
        let date: Locked<Date>
        init(_ date: Date) { self.date = Locked(date) }
        func now() -> Date { date.withLock { $0 } }
        func set(_ new: Date) { date.withLock { $0 = new } }
    }

    static func files() throws -> TLSFiles {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sw-live-tls-\(UUID().uuidString)/tls")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return TLSFiles(directory: directory)
    }

    static func serial(_ url: URL) throws -> String {
        try Certificate(pemEncoded: String(contentsOf: url, encoding: .utf8)).serialNumber.description
    }

    @Test func aCertificateNearItsEndIsIssuedAgainAtTheNextHello() throws {
        let files = try Self.files()
        defer { try? FileManager.default.removeItem(at: files.directory.deletingLastPathComponent()) }
        let start = Date()
        let names = HubNames(dnsNames: ["localhost", "hub.local"], addresses: ["127.0.0.1"])
        _ = try HomeCertificates.initialize(files: files, names: names, newCA: true, serverDays: 60, now: start)
        let ca = try Data(contentsOf: files.caCertificate)
        let clock = Clock(start)
        let live = try LiveServerCertificate(files: files, logger: Logger(label: "test"), clock: { clock.now() })
        let first = live.current()
        #expect(first.serialNumber == (try Self.serial(files.serverCertificate)))
        #expect(abs(first.notValidAfter.timeIntervalSince(start) - 60 * 86_400) < 2, "a 60-day certificate is not due at the start")

        clock.set(start.addingTimeInterval(29 * 86_400))  // 31 days left: still served as is
        #expect(live.current().serialNumber == first.serialNumber)

        clock.set(start.addingTimeInterval(31 * 86_400))  // 29 days left: due
        let renewed = live.current()
        #expect(renewed.serialNumber != first.serialNumber)
        #expect(renewed.notValidAfter > first.notValidAfter.addingTimeInterval(300 * 86_400))
        #expect(try Self.serial(files.serverCertificate) == renewed.serialNumber, "the renewed certificate is on disk for the other server")
        #expect(try Data(contentsOf: files.caCertificate) == ca, "renewal keeps the CA the phones trust")
        #expect(live.current().serialNumber == renewed.serialNumber, "issued once, then served")
    }

    @Test func aCertificateWrittenByTLSInitIsServedWithoutARestart() throws {
        let files = try Self.files()
        defer { try? FileManager.default.removeItem(at: files.directory.deletingLastPathComponent()) }
        let names = HubNames(dnsNames: ["localhost"], addresses: ["127.0.0.1"])
        _ = try HomeCertificates.initialize(files: files, names: names, newCA: true)
        let live = try LiveServerCertificate(files: files, logger: Logger(label: "test"))
        let first = live.current()
        _ = try HomeCertificates.initialize(files: files, names: names, newCA: false)  // `spasmwatch tls init` again
        let next = live.current()
        #expect(next.serialNumber != first.serialNumber)
        #expect(next.serialNumber == (try Self.serial(files.serverCertificate)))
    }
}
