import Foundation

@testable import SpasmDetection

/// Deterministic synthetic wearable signals with known truth, for the detector tests.
struct SignalFactory {
    private var state: UInt64

    init(seed: UInt64 = 1) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = max(uniform(), 1e-12)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// IMU samples (interleaved x, y, z in g): gravity along `gravity` plus `dynamic(t)` plus noise.
    mutating func imu(
        rate: Double, seconds: Double, gravity: (Double, Double, Double) = (0, 0, 1),
        noise: Double = 0.01, dynamic: (Double) -> (Double, Double, Double)
    ) -> [Float] {
        let n = Int(seconds * rate)
        var out = [Float]()
        out.reserveCapacity(n * 3)
        for i in 0..<n {
            let t = Double(i) / rate
            let d = dynamic(t)
            out.append(Float(gravity.0 + d.0 + noise * gaussian()))
            out.append(Float(gravity.1 + d.1 + noise * gaussian()))
            out.append(Float(gravity.2 + d.2 + noise * gaussian()))
        }
        return out
    }

    /// EMG samples (mV): Gaussian noise whose standard deviation is `sigma(t)`, plus `extra(t)`.
    mutating func emg(
        rate: Double, seconds: Double, sigma: (Double) -> Double,
        extra: (Double) -> Double = { _ in 0 }
    ) -> [Float] {
        let n = Int(seconds * rate)
        var out = [Float]()
        out.reserveCapacity(n)
        for i in 0..<n {
            let t = Double(i) / rate
            out.append(Float(sigma(t) * gaussian() + extra(t)))
        }
        return out
    }
}

/// A biphasic jerk along one axis: derivative-of-Gaussian with peak `peak` g at `center ± width`.
func jerk(_ t: Double, center: Double, peak: Double, width: Double = 0.04) -> Double {
    let u = (t - center) / width
    guard abs(u) < 6 else { return 0 }
    return -peak * u * exp(0.5 - 0.5 * u * u)
}

/// Smooth on/off window (0.15 s raised-cosine ramps).
func window(_ t: Double, from a: Double, to b: Double, ramp: Double = 0.15) -> Double {
    if t <= a || t >= b { return 0 }
    if t < a + ramp { return 0.5 - 0.5 * cos(.pi * (t - a) / ramp) }
    if t > b - ramp { return 0.5 - 0.5 * cos(.pi * (b - t) / ramp) }
    return 1
}

/// Runs a detector over samples in frames of `frame` samples, then `finish()`.
func run(
    _ kind: SensorKind, rate: Double, _ samples: [Float], frame: Int = 64,
    settings: DetectorSettings = .init(), startTime: Double = 0
) -> [DetectorOutput] {
    var d = StreamingDetector(kind: kind, sampleRate: rate, settings: settings)
    let ch = kind.channels
    var out: [DetectorOutput] = []
    var i = 0
    let n = samples.count / ch
    while i < n {
        let j = min(n, i + frame)
        out += d.process(startTime: startTime + Double(i) / rate, samples: Array(samples[(i * ch)..<(j * ch)]))
        i = j
    }
    out += d.finish()
    return out
}

/// Onsets of the given kind.
func onsets(_ out: [DetectorOutput], _ kind: EpisodeKind? = nil) -> [EpisodeOnset] {
    out.compactMap { if case .onset(let o) = $0, kind == nil || o.kind == kind { o } else { nil } }
}

func ends(_ out: [DetectorOutput], _ kind: EpisodeKind? = nil) -> [EpisodeEnd] {
    out.compactMap { if case .end(let e) = $0, kind == nil || e.kind == kind { e } else { nil } }
}

/// Checks the onset/end protocol: every onset is followed by exactly one end with the
/// same id and kind, end ≥ start, detectedAt ≥ start. Returns a description of the first violation.
func protocolViolation(_ out: [DetectorOutput]) -> String? {
    var open: [UUID: EpisodeOnset] = [:]
    var closed = Set<UUID>()
    for o in out {
        switch o {
        case .onset(let on):
            if open[on.id] != nil || closed.contains(on.id) { return "duplicate onset \(on.id)" }
            if on.detectedAt + 1e-9 < on.start { return "onset detected before it started: \(on)" }
            if !(0...1).contains(on.confidence) { return "confidence out of range: \(on)" }
            open[on.id] = on
        case .end(let e):
            guard let on = open.removeValue(forKey: e.id) else { return "end without onset \(e.id)" }
            if on.kind != e.kind { return "kind changed between onset and end" }
            if e.end + 1e-9 < e.start { return "end before start: \(e)" }
            if e.start != on.start { return "start changed between onset and end" }
            closed.insert(e.id)
        }
    }
    return open.isEmpty ? nil : "onsets never ended: \(open.count)"
}

/// `../shared/eval` seen from this file (repo root is two levels above Tests/DetectionTests),
/// or `$SPASMWATCH_SHARED/eval` (for a worktree elsewhere).
let sharedEvalDirectory: URL =
    ProcessInfo.processInfo.environment["SPASMWATCH_SHARED"]
    .map { URL(fileURLWithPath: $0).appendingPathComponent("eval") }
    ?? URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/eval")

/// `../shared/eval/dev`.
let sharedDevDirectory = sharedEvalDirectory.appendingPathComponent("dev")
/// `../shared/eval/devices`: recordings from real device profiles (issue 15).
let sharedDevicesDirectory = sharedEvalDirectory.appendingPathComponent("devices")
let sharedDevicesAvailable = FileManager.default.fileExists(atPath: sharedDevicesDirectory.appendingPathComponent("manifest.json").path)

let sharedDevAvailable = FileManager.default.fileExists(atPath: sharedDevDirectory.appendingPathComponent("manifest.json").path)
