import ArgumentParser
import Foundation
import SpasmDetection
import SpasmRuntime

/// `spasmwatch-detect`: finds phasic spasms, clonus, tonic spasms and falls as they happen,
/// and flare-ups from the person's own baseline. Offline: `scan` a recording, `eval` a
/// labelled set, `bench` the detector core.
@main
struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-detect",
        abstract: "Detection of spasms, clonus, falls and flare-ups.",
        subcommands: [ServeDetectCommand.self, ScanCommand.self, EvalCommand.self, DetectBenchCommand.self],
        defaultSubcommand: ServeDetectCommand.self)
}

/// `scan FILE.csv`: the same detectors, offline; CSV on stdout.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan a recording (t,ax,ay,az or t,emg) and print start,end,kind,detected_at,confidence (seconds from the first sample).")

    @Argument(help: "The CSV recording.")
    var file: String

    @Option(help: "imu or emg (default: from the header).")
    var kind: String?

    @Option(help: "Sample rate in Hz (default: from the t column).")
    var rate: Double?

    func run() throws {
        var sensorKind: SensorKind?
        if let kind {
            guard let k = SensorKind(rawValue: kind) else { throw ValidationError("--kind must be imu or emg") }
            sensorKind = k
        }
        let rows = try RecordingScanner.scan(fileURL: URL(fileURLWithPath: file), kind: sensorKind, rate: rate)
        print(RecordingScanner.csv(rows), terminator: "")
    }
}

/// `eval DIR`: scans every recording of a manifest directory and prints the score per kind.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Scan every recording in a labelled set (manifest.json) and print sensitivity, precision, F1, false alarms and latency per kind.")

    @Argument(help: "A directory like ../shared/eval/dev.")
    var directory: String

    @Option(help: "Also write NAME.detections.csv files here (for ../shared/eval/score.py).")
    var out: String?

    func run() throws {
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        let report = try EventScorer.scanAndEvaluate(datasetDirectory: URL(fileURLWithPath: directory), settings: .init(),
                                                     writeTo: out.map { URL(fileURLWithPath: $0) })
        print(report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
    }
}
