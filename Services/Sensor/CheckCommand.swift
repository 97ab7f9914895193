import ArgumentParser
import Foundation
import SpasmErrors
import SpasmIngestion
import SpasmRuntime

/// `spasmwatch-sensor check FRAME.json [--binary FILE]`: validates a frame offline and prints
/// the verdict the service would give.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a frame offline and print the verdict.")

    @Argument(help: "The frame's JSON file ('-' for standard input).")
    var frame: String

    @Option(help: "A file of little-endian Float32 samples sent as the binary frame.")
    var binary: String?

    @OptionGroup var options: CommonOptions

    func run() throws {
        let (_, configuration) = try options.load()
        let json =
            frame == "-"
            ? FileHandle.standardInput.readDataToEndOfFile()
            : try UserFiles.contents(of: frame, expecting: "a frame's JSON file (its fields: docs/plug-in-a-sensor.md), or - for standard input")
        let payload = try binary.map { (path) throws(SpasmError) in
            try UserFiles.contents(of: path, expecting: "a file of little-endian Float32 samples, the frame's binary part")
        }
        do {
            let valid = try FrameValidator.validate(json: json, binary: payload, maxBytes: configuration.sensor.maxFrameBytes)
            print(
                "accepted: \(valid.kind.rawValue) frame from \(valid.sensorId) at \(valid.placement.rawValue), \(valid.sampleCount) samples × \(valid.channels) channel(s) at \(FrameValidator.format(valid.sampleRate)) Hz\(valid.test ? " (test sensor)" : "")"
            )
        } catch {
            print("rejected: \(error.message)")
            throw ExitCode(1)
        }
    }
}
