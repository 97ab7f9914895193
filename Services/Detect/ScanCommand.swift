import ArgumentParser
import Foundation
import SpasmDetection

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
