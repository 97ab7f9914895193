import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime
import SpasmTLS
import X509

struct TLSInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make the home's CA (once) and a server certificate for this hub's names and addresses.",
        discussion: """
            The certificate names this machine's hostname, NAME.local, its LAN addresses, localhost and any --name.
            The CA may only vouch for those (name constraints), so a phone that trusts it trusts nothing else.
            Run again to issue a new server certificate from the same CA; --new-ca replaces the CA too
            (every phone must then trust the new one). Services issue it again by themselves when it ends
            within \(HomeCertificates.renewWithinDays) days.
            """)

    @OptionGroup var options: CommonOptions
    @Option(name: .customLong("name"), help: "Another name or address phones use for this hub (repeatable), e.g. hub.home.arpa.")
    var names: [String] = []
    @Flag(name: .customLong("new-ca"), help: "Make a new certificate authority even when the home has one.")
    var newCA = false
    @Option(help: "Days the server certificate lasts (1–\(HomeCertificates.maxServerDays)).")
    var days: Int = HomeCertificates.defaultServerDays

    func run() async throws {
        let (home, configuration) = try options.load()
        if let problem = HubNames.invalid(names) { throw ValidationError(problem) }
        let issued: HomeCertificates.Issued
        do {
            issued = try HomeCertificates.initialize(
                files: home.tlsFiles, names: HubNames.current(extra: names), required: names,
                newCA: newCA, serverDays: days)
        } catch let error as SpasmError where error.code == .tlsSetup {
            throw ValidationError(error.description)
        }
        let files = home.tlsFiles
        let covered = HomeCertificates.coveredNames(issued.ca)
        let format = ISO8601DateFormatter()
        print(
            issued.newCA
                ? "made a new certificate authority: \(files.caCertificate.path) (key \(files.caKey.path), 0600)"
                : "kept the certificate authority: \(files.caCertificate.path)")
        print("server certificate: \(files.serverCertificate.path), good until \(format.string(from: issued.server.notValidAfter))")
        print("names:     \(covered.dnsNames.joined(separator: ", "))")
        print("addresses: \(covered.addresses.joined(separator: ", "))")
        if !issued.notCovered.isEmpty {
            print(
                "note: \(issued.notCovered.joined(separator: ", ")) \(issued.notCovered.count == 1 ? "is" : "are") not covered by this CA; "
                    + "`spasmwatch tls init --new-ca` includes \(issued.notCovered.count == 1 ? "it" : "them") (phones then trust the new CA again)")
        }
        let manual = configuration.manual
        let host = covered.dnsNames.first { $0.hasSuffix(".local") } ?? covered.dnsNames.first ?? "localhost"
        print(
            """
            next: restart the services (deploy/stack restart); bound beyond loopback (manual.httpHost, sensor.httpHost) they serve HTTPS.
                  On each phone open https://\(host):\(manual.httpPort)/trust?token=TOKEN (manual.httpToken, else the home's keys/http.token) once and follow its steps to trust the CA.
            """)
    }
}
