import ArgumentParser
import Foundation
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import SpasmSync

/// `spasmwatch setup …`: set up a home without editing files by hand.
struct SetupGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Set up this home: who is told of a fall.",
        subcommands: [SetupCaregiverCommand.self])
}
