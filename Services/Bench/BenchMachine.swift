import Foundation

/// The machine a suite ran on, as `spasmwatch-bench all` prints it under its table: cores and
/// CPU model (/proc/cpuinfo), load average (/proc/loadavg) at the start and at the end, and the
/// build configuration (debug figures are meaningless).
struct BenchMachine: Equatable {
    var cores: Int
    var model: String
    /// The 1-minute load average.
    var load: Double?

    static func read() -> BenchMachine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let loadavg = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        var machine = parse(cpuinfo: cpuinfo, loadavg: loadavg)
        if machine.cores == 0 { machine.cores = ProcessInfo.processInfo.activeProcessorCount }
        return machine
    }

    /// Cores are the `processor` lines, the model the first `model name` ("unknown CPU" when
    /// there is none, as on some ARM kernels); the load the first field of /proc/loadavg.
    static func parse(cpuinfo: String, loadavg: String) -> BenchMachine {
        var cores = 0
        var model: String?
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if key == "processor" { cores += 1 }
            if key == "model name" && model == nil { model = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let load = loadavg.split(separator: " ").first.flatMap { Double($0) }
        return BenchMachine(cores: cores, model: model ?? "unknown CPU", load: load)
    }

    static var buildConfiguration: String {
        #if DEBUG
            "debug (figures meaningless: build with `swift build -c release`)"
        #else
            "release"
        #endif
    }

    /// "2 cores, AMD EPYC; load 0.59 at the start, 2.10 at the end; release build; 3 min 41 s".
    static func describe(start: BenchMachine, end: BenchMachine, seconds: Double) -> String {
        func load(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "unknown" }
        let total = Int(seconds.rounded())
        return
            "\(start.cores) core\(start.cores == 1 ? "" : "s"), \(start.model); load \(load(start.load)) at the start, \(load(end.load)) at the end; \(buildConfiguration) build; \(total / 60) min \(total % 60) s"
    }
}
