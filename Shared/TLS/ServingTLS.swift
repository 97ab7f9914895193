import Foundation
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import SpasmConfig
import SpasmErrors

/// How both HTTP servers (the diary page and sensor HTTP) choose between plain HTTP and
/// HTTPS: plain HTTP only on loopback; bound anywhere else they serve TLS with the home's
/// server certificate (`spasmwatch tls init`), renewed first when it ends within
/// `HomeCertificates.renewWithinDays` — at start and while running (`LiveServerCertificate`)
/// — and refuse to start without one.
public enum ServingTLS {
    /// True for addresses only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool { Endpoints.isLoopback(host) }

    /// The sentence a server bound beyond loopback without a certificate stops with.
    public static func missingCertificate(setting: String, host: String, home: DataHome) -> String {
        "\(setting) is '\(host)' (beyond loopback), and plain HTTP is served on loopback only: this home has no HTTPS certificate "
            + "in \(home.tlsFiles.directory.path). Run `spasmwatch tls init` once (then each phone trusts the home's CA: see docs/https.md), "
            + "or bind to 127.0.0.1"
    }

    /// Throws `missingCertificate` when `host` is beyond loopback and there is no certificate.
    public static func check(host: String, setting: String, home: DataHome) throws {
        if !isLoopback(host) && !home.tlsFiles.hasCA && !FileManager.default.fileExists(atPath: home.tlsFiles.serverCertificate.path) {
            throw SpasmError(.tlsSetup, missingCertificate(setting: setting, host: host, home: home))
        }
    }

    /// `base` as is on loopback; wrapped in TLS beyond it. The second value is the scheme.
    public static func server(
        _ base: HTTPServerBuilder, host: String, setting: String, home: DataHome,
        logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws -> (server: HTTPServerBuilder, scheme: String) {
        if isLoopback(host) { return (base, "http") }
        try check(host: host, setting: setting, home: home)
        let live: LiveServerCertificate
        do {
            live = try LiveServerCertificate(files: home.tlsFiles, logger: logger, clock: clock)
        } catch let error as SpasmError where error.code == .tlsSetup {
            throw error
        } catch {
            throw SpasmError(
                .tlsSetup, "cannot read the HTTPS certificate in \(home.tlsFiles.directory.path) (\(error)): run `spasmwatch tls init` again")
        }
        let first = live.current()
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: first.chain, privateKey: first.key)
        configuration.sslContextCallback = live.contextCallback  // each hello: the current certificate, renewed while running
        configuration.minimumTLSVersion = .tlsv12
        return (try .tls(base, tlsConfiguration: configuration), "https")
    }
}
