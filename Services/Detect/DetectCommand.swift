import ArgumentParser

/// `spasmwatch-detect`: finds phasic spasms, clonus, tonic spasms and falls as they happen,
/// and flare-ups from the person's own baseline. Offline: `scan` a recording, `eval` a
/// labelled set, `bench` the detector core.
@main
struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-detect",
        abstract: "Detection of spasms, clonus, falls and flare-ups.",
        subcommands: [ServeDetectCommand.self, ScanCommand.self, EvalCommand.self],
        defaultSubcommand: ServeDetectCommand.self)
}
