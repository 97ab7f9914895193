import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmRuntime

struct KeysNewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Make a key pair NAME with a role, allow it, and print what the device needs.")

    @OptionGroup var options: CommonOptions
    @Argument(help: "The key's name (a device or service: letters, digits, '.', '_', '-').")
    var name: String
    @Option(help: "producer (the producer endpoint only), consumer (subscribe only) or service (bus and producer endpoint).")
    var role: KeyRole = .producer
    @Option(
        name: .customLong("sensor"),
        help: "A sensor id this producer key may send frames for (repeat for several; default: the key's name).")
    var sensors: [String] = []

    func run() async throws {
        let (home, configuration) = try options.load()
        do {
            let (key, _) = try KeyAllowlist.issue(name: name, role: role, home: home, sensors: sensors)
            print(try describeKey(key, home: home, configuration: configuration))
        } catch let error as SpasmError where error.code == .key {
            throw ValidationError(error.description)
        }
    }
}
