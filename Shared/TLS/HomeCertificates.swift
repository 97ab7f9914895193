import Crypto
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmSync
import SpasmWeb
import SwiftASN1
import X509

/// Where a home keeps its HTTPS certificates: `<home>/keys/tls/` (0700), the local
/// certificate authority (`ca.pem`, `ca.key`) and the servers' certificate (`server.pem`,
/// `server.key`); every file 0600.
public struct TLSFiles: Sendable {
    public let directory: URL
    public var caCertificate: URL { directory.appendingPathComponent("ca.pem") }
    public var caKey: URL { directory.appendingPathComponent("ca.key") }
    public var serverCertificate: URL { directory.appendingPathComponent("server.pem") }
    public var serverKey: URL { directory.appendingPathComponent("server.key") }
    /// Held while a certificate is issued or read, so two services starting together
    /// never read a certificate with the other one's key.
    var lock: URL { directory.appendingPathComponent("issue.lock") }

    public init(directory: URL) { self.directory = directory }

    public var hasCA: Bool { FileManager.default.fileExists(atPath: caCertificate.path) && FileManager.default.fileExists(atPath: caKey.path) }
}

extension DataHome {
    public var tlsFiles: TLSFiles { TLSFiles(directory: keyDirectory.appendingPathComponent("tls")) }
}

extension SpasmError.Code {
    /// A host beyond loopback with no certificate yet, or certificates that cannot be made
    /// or read: a setting problem (services exit 2).
    public static let tlsSetup = SpasmError.Code("tls.setup", settingProblem: true)
}

/// The home's certificate authority and the server certificate it issues (swift-certificates
/// and swift-crypto, ECDSA P-256). The CA is limited by critical name constraints to this
/// hub's names and addresses, so a phone that trusts it trusts nothing else; the server
/// certificate names exactly those, for at most 398 days (what phones accept).
public enum HomeCertificates {
    public static let maxServerDays = 398
    public static let defaultServerDays = 397
    /// A server certificate this close to its end is issued again (at a server's start, or at
    /// the first TLS hello after it came this close: `LiveServerCertificate`).
    public static let renewWithinDays = 30
    public static let caDays = 3650

    public struct Issued: Sendable {
        public let ca: Certificate
        public let server: Certificate
        public let newCA: Bool
        /// Current names or addresses of this hub that the existing CA does not cover.
        public let notCovered: [String]
    }

    /// `spasmwatch tls init`: a CA when there is none (or `newCA`), then a server certificate
    /// from it. `required` (the `--name`s) must be covered by the CA unless a new one is made.
    public static func initialize(
        files: TLSFiles, names: HubNames, required: [String] = [], newCA: Bool,
        serverDays: Int = defaultServerDays, now: Date = Date()
    ) throws -> Issued {
        guard (1...maxServerDays).contains(serverDays) else {
            throw SpasmError(.tlsSetup, "--days \(serverDays): a server certificate lasts 1 to \(maxServerDays) days (phones refuse longer ones)")
        }
        try prepareDirectory(files)
        return try withLock(files) {
            let makeCA = newCA || !files.hasCA
            let ca: (certificate: Certificate, key: P256.Signing.PrivateKey)
            if makeCA {
                ca = try makeAuthority(names: names, now: now)
                try write(ca.key.pemRepresentation, to: files.caKey)
                try write(try ca.certificate.serializeAsPEM().pemString, to: files.caCertificate)
            } else {
                ca = try loadAuthority(files)
            }
            let covered = Set(coveredNames(ca.certificate).all)
            let missing = names.all.filter { !covered.contains($0) }
            let missingRequired = required.map { AllowedHosts.hostPart($0.trimmingCharacters(in: .whitespaces)) }.filter { !covered.contains($0) }
            if !missingRequired.isEmpty {
                throw SpasmError(
                    .tlsSetup,
                    "the home's certificate authority does not cover \(missingRequired.joined(separator: ", ")): "
                        + "run `spasmwatch tls init --new-ca --name …` to make a new one (phones then trust the new CA again)")
            }
            let server = try issueServer(ca: ca, days: serverDays, now: now, files: files)
            return Issued(ca: ca.certificate, server: server, newCA: makeCA, notCovered: missing)
        }
    }

    /// On a service's start: issues the server certificate again from the CA when it is
    /// missing or ends within `renewWithinDays`. Returns a sentence for the log when it did.
    public static func renewIfDue(files: TLSFiles, now: Date = Date()) throws -> String? {
        try withLock(files) { try renewLocked(files: files, now: now) }
    }

    /// The server certificate and key as PEM, renewed first when due (under the lock).
    public static func loadServing(files: TLSFiles, now: Date = Date()) throws -> (certificatePEM: String, keyPEM: String, renewed: String?) {
        try withLock(files) {
            let renewed = try renewLocked(files: files, now: now)
            return (
                try String(contentsOf: files.serverCertificate, encoding: .utf8),
                try String(contentsOf: files.serverKey, encoding: .utf8), renewed
            )
        }
    }

    static func renewLocked(files: TLSFiles, now: Date) throws -> String? {
        guard files.hasCA else { return nil }
        let current = try? Certificate(pemEncoded: String(contentsOf: files.serverCertificate, encoding: .utf8))
        let hasKey = FileManager.default.fileExists(atPath: files.serverKey.path)
        if let current, hasKey, current.notValidAfter.timeIntervalSince(now) > Double(renewWithinDays) * 86_400 { return nil }
        let server = try issueServer(ca: try loadAuthority(files), days: defaultServerDays, now: now, files: files)
        let was = current.map { "it ended \(iso($0.notValidAfter))" } ?? "there was none"
        return "issued the HTTPS server certificate again (\(was)); the new one is good until \(iso(server.notValidAfter))"
    }

    /// The names and addresses the CA's name constraints permit.
    public static func coveredNames(_ ca: Certificate) -> HubNames {
        guard let constraints = try? ca.extensions.nameConstraints else { return HubNames(dnsNames: [], addresses: []) }
        var names: [String] = []
        var addresses: [String] = []
        for subtree in constraints.permittedSubtrees {
            switch subtree {
            case .dnsName(let name): names.append(name)
            case .ipAddress(let range):
                let bytes = Array(range.bytes)
                if let text = IPBytes.text(bytes.prefix(bytes.count / 2)) { addresses.append(text) }
            default: break
            }
        }
        return HubNames(dnsNames: names, addresses: addresses)
    }

    /// The CA certificate as PEM and DER, with its subject, for the trust page; nil when none.
    public static func authorityCertificate(_ files: TLSFiles) -> (pem: String, der: [UInt8], subject: String)? {
        guard let pem = try? String(contentsOf: files.caCertificate, encoding: .utf8),
            let certificate = try? Certificate(pemEncoded: pem)
        else { return nil }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return nil }
        return (pem, serializer.serializedBytes, String(describing: certificate.subject))
    }

    // MARK: Issuing

    static func makeAuthority(names: HubNames, now: Date) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let host = names.dnsNames.first { $0 != "localhost" } ?? "localhost"
        let subject = try DistinguishedName {
            OrganizationName("SpasmWatch")
            CommonName("SpasmWatch home CA (\(host))")
        }
        let ranges = names.addresses.compactMap { IPBytes.parse($0) }.map {
            ASN1OctetString(contentBytes: ArraySlice($0 + [UInt8](repeating: 0xFF, count: $0.count)))
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            Critical(NameConstraints(permittedDNSDomains: names.dnsNames, permittedIPRanges: ranges))
            SubjectKeyIdentifier(hash: publicKey)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Double(caDays) * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(key))
        return (certificate, key)
    }

    static func issueServer(
        ca: (certificate: Certificate, key: P256.Signing.PrivateKey), days: Int, now: Date,
        files: TLSFiles
    ) throws -> Certificate {
        let names = coveredNames(ca.certificate)
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let host = names.dnsNames.first { $0 != "localhost" } ?? "localhost"
        let subject = try DistinguishedName {
            OrganizationName("SpasmWatch")
            CommonName(host)
        }
        let alternatives = SubjectAlternativeNames(
            names.dnsNames.map { GeneralName.dnsName($0) }
                + names.addresses.compactMap { IPBytes.parse($0) }.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) })
        let caKeyId = try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            alternatives
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: caKeyId)
        }
        let end = min(now.addingTimeInterval(Double(days) * 86_400), ca.certificate.notValidAfter)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: end,
            issuer: ca.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(ca.key))
        try write(key.pemRepresentation, to: files.serverKey)
        try write(try certificate.serializeAsPEM().pemString, to: files.serverCertificate)
        return certificate
    }

    static func loadAuthority(_ files: TLSFiles) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        do {
            return (
                try Certificate(pemEncoded: String(contentsOf: files.caCertificate, encoding: .utf8)),
                try P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: files.caKey, encoding: .utf8))
            )
        } catch {
            throw SpasmError(
                .tlsSetup, "cannot read the home's certificate authority in \(files.directory.path) (\(error)): run `spasmwatch tls init --new-ca`")
        }
    }

    // MARK: Files

    static func prepareDirectory(_ files: TLSFiles) throws {
        try FileManager.default.createDirectory(at: files.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: files.directory.path)
    }

    static func write(_ text: String, to url: URL) throws {
        try AtomicFile.write(text.hasSuffix("\n") ? text : text + "\n", to: url, mode: 0o600)
    }

    static func withLock<T>(_ files: TLSFiles, _ body: () throws -> T) throws -> T {
        if !FileManager.default.fileExists(atPath: files.directory.path) { return try body() }
        let fd = open(files.lock.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
