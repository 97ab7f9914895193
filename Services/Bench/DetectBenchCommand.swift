import ArgumentParser
import Foundation
import SpasmDetection
import SpasmRuntime
import SpasmSimulation

/// `spasmwatch-bench detect`: detector-core throughput on samples already in memory, and
/// `scan` of a file with parsing, each beside a reference measured in the same run (one
/// pass that only reads and sums the same samples), so the ratio is what to compare.
struct DetectBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detector throughput (printed, never asserted): EMG and IMU core speed, scan speed.")

    @Option(help: "Seconds of signal per case.")
    var seconds: Double = 600

    func run() throws {
        print("Detector core on one core, samples in memory (\(Int(seconds)) s of simulated signal per case, confounders and events)")
        print("")
        var rows = [["CASE", "SAMPLES", "DETECTOR", "REFERENCE PASS", "DETECTOR / REFERENCE", "GOAL"]]
        for (kind, rate) in [(SensorKind.emg, 1000.0), (.emg, 2000), (.imu, 25), (.imu, 50), (.imu, 100), (.imu, 200)] {
            var scenario = SimulationScenario.demo(kind: kind, seed: 7)
            scenario.sampleRate = rate
            var simulator = SignalSimulator(scenario: scenario)
            let count = Int(seconds * rate)
            let chunk = simulator.nextChunk(count: count)
            let samples = chunk.samples
            let channels = kind == .imu ? 3 : 1
            // Detector, in 0.25 s frames as the live service sees them.
            var detector = StreamingDetector(kind: kind, sampleRate: rate)
            let frame = max(1, Int(rate / 4)) * channels
            var episodes = 0
            let detectorTime = time {
                samples.withUnsafeBufferPointer { buffer in
                    var i = 0
                    var t = 0.0
                    while i < buffer.count {
                        let n = min(frame, buffer.count - i)
                        episodes += detector.process(startTime: t, samples: UnsafeBufferPointer(rebasing: buffer[i..<(i + n)])).count
                        t += Double(n / channels) / rate
                        i += n
                    }
                }
            }
            var sink: Float = 0
            let referenceTime = time {
                samples.withUnsafeBufferPointer { buffer in
                    for v in buffer { sink += v * v }
                }
            }
            if sink.isNaN { print("") }
            let perSecond = Double(count) / detectorTime
            let reference = Double(count) / referenceTime
            rows.append([
                "\(kind.rawValue) \(Int(rate)) Hz", "\(count)\(channels == 3 ? "×3" : "")",
                String(format: "%.1f M samples/s", perSecond / 1e6), String(format: "%.0f M samples/s", reference / 1e6),
                String(format: "1 : %.0f", reference / perSecond), kind == .imu ? "≥ 3 M/s" : "≥ 10 M/s",
            ])
            _ = episodes
        }
        print(TextTable.render(rows))

        // scan: parse a CSV and detect, beside parsing alone.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sw-detect-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var scenario = SimulationScenario.demo(kind: .emg, seed: 3)
        scenario.sampleRate = 1000
        scenario.durationSeconds = min(seconds, 300)
        let written = try RecordingWriter.write(scenario: scenario, to: dir, name: "bench")
        let parseTime = try time { _ = try Recording(contentsOf: written.samplesFile, kind: nil, rate: nil) }
        var rowsFound = 0
        let scanTime = try time { rowsFound = try RecordingScanner.scan(fileURL: written.samplesFile, kind: nil, rate: nil).count }
        let n = Double(scenario.durationSeconds! * 1000)
        print("")
        print(
            String(
                format: "scan of a %.0f s 1 kHz EMG CSV: %.2f M samples/s including parsing (parsing alone %.2f M samples/s); %d episodes",
                scenario.durationSeconds!, n / scanTime / 1e6, n / parseTime / 1e6, rowsFound))
    }

    func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
