import Foundation
import Logging
import NIOSSL
import SpasmSync
import X509

/// The certificate a running server hands out, chosen again at every TLS hello (NIOSSL's
/// `sslContextCallback`), so a server that runs for years never serves an expired one:
///
/// - when `server.pem` changed on disk (`spasmwatch tls init` again, or the other server
///   renewed it), the new one is read;
/// - when the one in hand comes within `HomeCertificates.renewWithinDays` of its end, it is
///   issued again from the home's CA, under the files' lock (so the diary's server and sensor
///   HTTP renew once between them), and served from then on.
///
/// Until then a hello costs one `stat` of the file and a date comparison. A renewal that
/// fails (the CA unreadable) is logged and tried again a minute later; the current
/// certificate is served meanwhile.
public final class LiveServerCertificate: Sendable {
    public struct Served: Sendable {
        public let chain: [NIOSSLCertificateSource]
        public let key: NIOSSLPrivateKeySource
        public let notValidAfter: Date
        public let serialNumber: String
        /// The file's identity when read (inode and modification time).
        let file: FileStamp?
    }

    struct FileStamp: Equatable, Sendable {
        let inode: UInt64
        let modified: Date
    }

    let files: TLSFiles
    let clock: @Sendable () -> Date
    let logger: Logger
    let state: Locked<(served: Served, retryAfter: Date?)>

    /// Reads (and first renews when due) the home's server certificate.
    public init(files: TLSFiles, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.files = files
        self.clock = clock
        self.logger = logger
        state = Locked((try Self.load(files: files, now: clock(), logger: logger), nil))
    }

    /// The certificate to serve now.
    public func current() -> Served {
        let now = clock()
        let stamp = Self.stamp(files.serverCertificate)
        let (served, retryAfter) = state.withLock { ($0.served, $0.retryAfter) }
        let due = served.notValidAfter.timeIntervalSince(now) <= Double(HomeCertificates.renewWithinDays) * 86_400
        guard stamp != served.file || due else { return served }
        if let retryAfter, now < retryAfter { return served }
        do {
            let fresh = try Self.load(files: files, now: now, logger: logger)
            state.withLock { $0 = (fresh, nil) }
            if fresh.serialNumber != served.serialNumber {
                logger.notice(
                    "serving a new HTTPS server certificate",
                    metadata: [
                        "serial": "\(fresh.serialNumber)",
                        "until": "\(HomeCertificates.iso(fresh.notValidAfter))",
                    ])
            }
            return fresh
        } catch {
            logger.error(
                "cannot read or renew the HTTPS server certificate, serving the current one",
                metadata: ["error": "\(error)", "until": "\(HomeCertificates.iso(served.notValidAfter))"])
            state.withLock { $0.retryAfter = now.addingTimeInterval(60) }
            return served
        }
    }

    /// For `TLSConfiguration.sslContextCallback`: each hello gets `current()`.
    public var contextCallback: NIOSSLContextCallback {
        { [self] _, promise in
            let served = current()
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = served.chain
            override.privateKey = served.key
            promise.succeed(override)
        }
    }

    static func load(files: TLSFiles, now: Date, logger: Logger) throws -> Served {
        let before = stamp(files.serverCertificate)  // a change after this is read again at the next hello
        let loaded = try HomeCertificates.loadServing(files: files, now: now)
        if let renewed = loaded.renewed { logger.notice("\(renewed)") }
        let certificate = try Certificate(pemEncoded: loaded.certificatePEM)
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(loaded.certificatePEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(bytes: Array(loaded.keyPEM.utf8), format: .pem)
        return Served(
            chain: chain, key: .privateKey(key), notValidAfter: certificate.notValidAfter,
            serialNumber: certificate.serialNumber.description, file: before)
    }

    static func stamp(_ url: URL) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value,
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        return FileStamp(inode: inode, modified: modified)
    }
}
