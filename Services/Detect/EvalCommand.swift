import ArgumentParser
import Foundation
import SpasmDetection
import SpasmErrors

/// `eval DIR`: scans every recording of a manifest directory and prints the score per kind.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Scan every recording in a labelled set (manifest.json) and print sensitivity, precision, F1, false alarms and latency per kind.")

    @Argument(help: "A directory like ../shared/eval/dev.")
    var directory: String

    @Option(help: "Also write NAME.detections.csv files into this folder, which must exist (for ../shared/eval/score.py).")
    var out: String?

    func run() throws {
        // The folder must be there (it is not made: a mistyped path would leave folders behind).
        if let out { try UserFiles.checkFolder(toWrite: URL(fileURLWithPath: out).appendingPathComponent("NAME.detections.csv").path) }
        let report = try EventScorer.scanAndEvaluate(
            datasetDirectory: URL(fileURLWithPath: directory), settings: .init(),
            writeTo: out.map { URL(fileURLWithPath: $0) })
        print(report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
    }
}
