import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime

struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the allowed keys with their roles.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let (home, _) = try options.load()
        let keys = KeyAllowlist.keys(home: home)
        let flat = ((try? FileManager.default.contentsOfDirectory(atPath: KeyAllowlist.directory(home: home).path)) ?? [])
            .filter { $0.hasSuffix(".public") }
        if keys.isEmpty && flat.isEmpty {
            print("no keys allowed (\(KeyAllowlist.directory(home: home).path))")
            return
        }
        let own = Set(ServiceName.all.map(ServiceName.keyName) + [SourceBinding.cliKey])
        for key in keys {
            var note = ""
            if key.role == .producer { note = "  sensors: " + KeyAllowlist.boundSensors(home: home, name: key.name).joined(separator: ", ") }
            if key.role == .service && own.contains(key.name) {
                note = "  (this machine's \(key.name == SourceBinding.cliKey ? "CLI" : "spasmwatch-" + key.name))"
            }
            print(
                "\(key.name.padding(toLength: max(20, key.name.count), withPad: " ", startingAt: 0)) \(key.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(key.publicKey)\(note)"
            )
        }
        for file in flat.sorted() {
            print("\(file): old flat layout; the bus moves it into services/ when it starts")
        }
    }
}
