import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmRuntime

struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Remove a key: new connections with it are refused at once (no restart).")

    @OptionGroup var options: CommonOptions
    @Argument var name: String

    func run() async throws {
        let (home, _) = try options.load()
        do {
            let key = try KeyAllowlist.revoke(name: name, home: home)
            print("revoked \(key.name) (\(key.role.rawValue)); connections already open stay until they close")
        } catch let error as SpasmError where error.code == .key {
            throw ValidationError(error.description)
        }
    }
}
