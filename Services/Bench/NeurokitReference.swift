import Foundation

/// The reference of `spasmwatch-bench detect` for EMG: neurokit2's `emg_process` over the same
/// samples, in a Python venv of the bench's own (`~/.cache/spasmwatch-bench/venv`, created and
/// filled by pip on first use). Every Python process goes through `Child.start`.
struct NeurokitReference {
    /// Samples per second, or why it was not measured.
    enum Outcome {
        case measured(Double)
        case notMeasured(String)
    }

    let venv: URL
    let script: URL

    /// The script is a resource of the bench, copied beside the binary by the build.
    static var defaultScript: URL {
        BenchBinaries.directory.appendingPathComponent("SpasmWatch_spasmwatch-bench.resources/Scripts/neurokit_emg.py")
    }

    static var defaultVenv: URL {
        let cache =
            ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return cache.appendingPathComponent("spasmwatch-bench/venv")
    }

    /// Creates the venv and installs neurokit2 when they are not there yet; nil when ready,
    /// else why not.
    func prepare() async -> String? {
        guard FileManager.default.fileExists(atPath: script.path) else { return "script not found at \(script.path)" }
        let python = venv.appendingPathComponent("bin/python").path
        if !FileManager.default.isExecutableFile(atPath: python) {
            try? FileManager.default.createDirectory(at: venv.deletingLastPathComponent(), withIntermediateDirectories: true)
            print("Creating a Python venv for the neurokit2 reference: python3 -m venv \(venv.path)")
            switch await run("python3", ["-m", "venv", venv.path], timeout: 120) {
            case .failure(let failure): return "python3 -m venv failed: \(failure.why)"
            case .success: break
            }
        }
        if case .success = await run(python, ["-c", "import neurokit2"], timeout: 120) { return nil }
        print("Installing neurokit2 into \(venv.path) with pip (once; it pulls numpy, scipy, pandas, scikit-learn, matplotlib wheels)...")
        if case .failure(let failure) = await run(
            python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "neurokit2"], timeout: 900)
        {
            return "pip install neurokit2 failed: \(failure.why)"
        }
        return nil
    }

    /// Writes the samples as raw float32 and times `emg_process` on them.
    func measure(samples: [Float], rate: Double, in folder: URL) async -> Outcome {
        let file = folder.appendingPathComponent("emg-\(Int(rate)).f32")
        do {
            try samples.withUnsafeBytes { try Data($0).write(to: file) }
        } catch {
            return .notMeasured("cannot write the samples: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let python = venv.appendingPathComponent("bin/python").path
        switch await run(python, [script.path, file.path, String(Int(rate))], timeout: 600) {
        case .failure(let failure): return .notMeasured(failure.why)
        case .success(let output):
            let line = output.split(separator: "\n").first { $0.hasPrefix("samples_per_second ") }
            guard let line, let value = Double(line.dropFirst("samples_per_second ".count)) else {
                return .notMeasured("the script printed no figure")
            }
            return .measured(value)
        }
    }

    private struct Failure: Error { let why: String }

    /// Runs a program to its end (stopped at the deadline): its output, or the last line it
    /// printed when it failed.
    private func run(_ program: String, _ arguments: [String], timeout: Double) async -> Result<String, Failure> {
        let child: Child
        do {
            child = try Child.start(program, arguments, home: nil, withErrors: true)
        } catch {
            return .failure(Failure(why: "cannot start \(program): \(error.localizedDescription)"))
        }
        let exited = await child.waitForExit(timeout: timeout)
        child.terminate()
        let output = child.text
        if !exited { return .failure(Failure(why: "\(URL(fileURLWithPath: program).lastPathComponent) did not end within \(Int(timeout)) s")) }
        let status = child.process.terminationStatus
        if status == 0 { return .success(output) }
        if status == 127 { return .failure(Failure(why: "\(program) not found")) }
        let last = output.split(separator: "\n").last.map(String.init) ?? "no output"
        return .failure(Failure(why: "exit \(status): \(last)"))
    }
}
