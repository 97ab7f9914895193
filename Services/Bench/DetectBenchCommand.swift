import ArgumentParser
import Foundation
import SpasmDetection
import SpasmRuntime
import SpasmSimulation

/// `spasmwatch-bench detect`: detector-core throughput on samples already in memory, and
/// `scan` of a file with parsing, each beside a reference measured in the same run (one
/// pass that only reads and sums the same samples), so the ratio is what to compare. EMG is
/// also measured against neurokit2's `emg_process` on the same samples (NeurokitReference).
struct DetectBenchCommand: AsyncParsableCommand, BenchSuitePart {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detector throughput (printed, never asserted): EMG and IMU core speed, scan speed.")

    @Option(help: "Seconds of signal per case.")
    var seconds: Double = 600

    @Option(help: "Seconds of the same EMG signal (its start) given to neurokit2's emg_process, which is far slower.")
    var neurokitSeconds: Double = 30

    func run() async throws {
        _ = try await Self.measure(seconds: seconds, neurokitSeconds: neurokitSeconds, scanSeconds: min(seconds, 300))
    }

    /// Shorter signals than the command's (the ratios hold at these sizes), the scan skipped.
    static func runForSuite() async throws -> [BenchLine] {
        try await measure(seconds: 120, neurokitSeconds: 30, scanSeconds: nil)
    }

    /// Prints the detail; returns the summary: EMG beside neurokit2, IMU beside the plain pass.
    static func measure(seconds: Double, neurokitSeconds: Double, scanSeconds: Double?) async throws -> [BenchLine] {
        var lines: [BenchLine] = []
        let neurokit = NeurokitReference(venv: NeurokitReference.defaultVenv, script: NeurokitReference.defaultScript)
        let neurokitUnavailable = await neurokit.prepare()
        let signalFolder = try TemporaryDirectory(prefix: "sw-detect-signal")
        defer { signalFolder.remove() }
        #if DEBUG
            print("Debug build: the detector's figures are well below a release build's (swift build -c release).")
        #endif
        print("Detector core on one core, samples in memory (\(Int(seconds)) s of simulated signal per case, confounders and events)")
        print("")
        var rows = [
            ["CASE", "SAMPLES", "DETECTOR", "REFERENCE PASS", "DETECTOR / REFERENCE", "GOAL", "NEUROKIT2 emg_process", "DETECTOR / NEUROKIT2"]
        ]
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
            var neurokitColumns = ["—", "—"]  // emg_process is for EMG only
            if kind == .emg {
                var outcome = NeurokitReference.Outcome.notMeasured(neurokitUnavailable ?? "")
                if neurokitUnavailable == nil {
                    outcome = await neurokit.measure(
                        samples: Array(samples.prefix(Int(min(seconds, neurokitSeconds) * rate))), rate: rate, in: signalFolder.url)
                }
                switch outcome {
                case .measured(let value):
                    neurokitColumns = [String(format: "%.1f k samples/s", value / 1e3), String(format: "%.0f×", perSecond / value)]
                case .notMeasured(let why): neurokitColumns = ["not measured: \(why)", ""]
                }
            }
            let goal = kind == .imu ? 3e6 : 10e6
            let what = "\(kind == .imu ? "IMU" : "EMG") \(Int(rate)) Hz detector, one core"
            // IMU counts 3-axis time points here, as the detector's table does (×3 values each).
            let figure = String(format: kind == .imu ? "%.1f M 3-axis samples/s" : "%.1f M samples/s", perSecond / 1e6)
            let passLine = BenchLine(
                area: "Detection", what: what, figure: figure, reference: String(format: "a plain pass over the samples %.0f M/s", reference / 1e6),
                ratio: String(format: "1 : %.0f", reference / perSecond), goal: String(format: "≥ %.0f M/s", goal / 1e6), met: perSecond >= goal)
            if kind == .emg, neurokitColumns[1] != "" {
                var line = passLine
                line.reference = "neurokit2 emg_process \(neurokitColumns[0])"
                line.ratio = neurokitColumns[1]
                lines.append(line)
            } else if kind == .emg {
                var line = passLine
                line.reference = "neurokit2 emg_process \(neurokitColumns[0]); plain pass \(String(format: "%.0f M/s", reference / 1e6))"
                lines.append(line)
            } else if rate == 100 || rate == 200 {
                lines.append(passLine)
            }
            rows.append(
                [
                    "\(kind.rawValue) \(Int(rate)) Hz", "\(count)\(channels == 3 ? "×3" : "")",
                    String(format: "%.1f M samples/s", perSecond / 1e6), String(format: "%.0f M samples/s", reference / 1e6),
                    String(format: "1 : %.0f", reference / perSecond), kind == .imu ? "≥ 3 M/s" : "≥ 10 M/s",
                ] + neurokitColumns)
            _ = episodes
        }
        print(TextTable.render(rows))
        print(
            "neurokit2 (on the first \(Int(min(seconds, neurokitSeconds))) s of the same signal) is a different algorithm: it filters, takes the amplitude envelope and detects activations offline over the whole signal at once, where SpasmWatch's detector is streaming, in 0.25 s frames."
        )

        guard let scanSeconds else { return lines }
        // scan: parse a CSV and detect, beside parsing alone.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sw-detect-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var scenario = SimulationScenario.demo(kind: .emg, seed: 3)
        scenario.sampleRate = 1000
        scenario.durationSeconds = scanSeconds
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
        return lines
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
