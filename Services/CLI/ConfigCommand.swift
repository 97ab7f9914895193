import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime

/// `spasmwatch config get KEY`: a setting as the services see it, through the same loader
/// (defaults, then config.json, then SPASMWATCH_* variables, then --set). deploy/stack reads
/// its settings this way. It only reads: it creates no home and needs nothing running.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Read the settings as the services see them.",
        subcommands: [ConfigGetCommand.self])
}

struct ConfigGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print one setting's effective value (default, config.json, SPASMWATCH_* variable or --set).",
        discussion: "An unknown key exits 2 and lists the known ones. Lists print comma-separated, as --set takes them.")

    @Argument(help: "The setting, e.g. detect.instances or bus.highWaterMark.")
    var key: String

    // Not CommonOptions: HomeCheck would create or check the home, and reading a setting
    // does neither.
    @Option(name: .long, help: "Data home (default: $SPASMWATCH_HOME, else /var/lib/spasmwatch if installed, else ~/.local/share/spasmwatch).")
    var home: String?

    @Option(name: .customLong("set"), help: "Override a setting, e.g. --set bus.highWaterMark=50000 (repeatable).")
    var overrides: [String] = []

    func run() throws {
        var options = CommonOptions()
        options.home = home
        do {
            let configuration = try ConfigurationLoader.load(home: options.dataHome(), overrides: overrides)
            print(try ConfigurationLoader.value(of: key, in: configuration))
        } catch let error as SpasmError where error.code == .configuration {
            FileHandle.standardError.write(Data("spasmwatch config get: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}
