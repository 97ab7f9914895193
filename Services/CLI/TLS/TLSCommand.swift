import ArgumentParser
import Foundation
import SpasmConfig
import SpasmRuntime
import SpasmTLS
import X509

/// `spasmwatch tls init`: the home's certificate authority and the HTTPS certificate both
/// HTTP servers use beyond loopback (docs/https.md).
struct TLSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "HTTPS on the home network: a local certificate authority and the hub's certificate.",
        subcommands: [TLSInitCommand.self])
}
