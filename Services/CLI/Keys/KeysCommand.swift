import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime

/// `spasmwatch keys ...`: the CURVE keys of devices and services that may reach the bus or
/// the producer endpoint on tcp, each with a role (docs/plug-in-a-sensor.md).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make, list, show and revoke the keys devices use on tcp (roles: producer, consumer, service).",
        subcommands: [KeysNewCommand.self, KeysListCommand.self, KeysShowCommand.self, KeysRevokeCommand.self])
}

extension KeyRole: ExpressibleByArgument {}
