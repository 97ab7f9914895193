import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime

struct KeysShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print what a device needs: the server's public key, where to connect, its own keys.")

    @OptionGroup var options: CommonOptions
    @Argument var name: String

    func run() async throws {
        let (home, configuration) = try options.load()
        guard let key = KeyAllowlist.keys(home: home).first(where: { $0.name == name }) else {
            let known = KeyAllowlist.keys(home: home).map(\.name).joined(separator: ", ")
            throw ValidationError("no key named '\(name)'; known: \(known.isEmpty ? "none" : known)")
        }
        print(try describeKey(key, home: home, configuration: configuration))
    }
}
