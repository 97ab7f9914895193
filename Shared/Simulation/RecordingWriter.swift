import Foundation
import SpasmSync

/// One row of `manifest.json` in the eval format of `shared/eval/dev`.
public struct RecordingManifestEntry: Sendable, Codable, Equatable {
    public var file: String
    public var labels: String
    public var kind: String
    public var rate_hz: Double
    public var seconds: Double
    public var placement: String
    public var events: Int
    public var gaps: Int

    public init(
        file: String, labels: String, kind: String, rate_hz: Double, seconds: Double,
        placement: String, events: Int, gaps: Int
    ) {
        self.file = file
        self.labels = labels
        self.kind = kind
        self.rate_hz = rate_hz
        self.seconds = seconds
        self.placement = placement
        self.events = events
        self.gaps = gaps
    }
}

/// Writes simulated recordings exactly like the eval data: `NAME.csv` (`t,ax,ay,az` in g
/// or `t,emg` in mV; `t` in seconds from the first sample, jumping over gaps),
/// `NAME.labels.csv` (`start,end,kind`) and `manifest.json`, so `shared/eval/score.py`
/// can score a detector on it.
public enum RecordingWriter {
    /// The two files written for one recording plus its manifest row.
    public struct Written: Sendable {
        public var samplesFile: URL
        public var labelsFile: URL
        public var entry: RecordingManifestEntry
        public var events: [TruthEvent]
    }

    /// Simulate `scenario` (its `durationSeconds`, default 600 s) and write NAME.csv and NAME.labels.csv.
    @discardableResult
    public static func write(scenario: SimulationScenario, to directory: URL, name: String) throws -> Written {
        var sc = scenario
        if sc.durationSeconds == nil { sc.durationSeconds = 600 }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var sim = SignalSimulator(scenario: sc)
        let ch = sim.channelCount
        let rate = sim.sampleRate
        // t decimals: 3 when every instant is a whole millisecond, else 4 (EMG > 1 kHz, odd rates).
        let tDecimals = (1000 / rate).rounded() == 1000 / rate ? 3 : 4
        let vDecimals = sc.kind == .imu ? 4 : 5
        let samplesURL = directory.appendingPathComponent(name + ".csv")
        let labelsURL = directory.appendingPathComponent(name + ".labels.csv")
        _ = FileManager.default.createFile(atPath: samplesURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: samplesURL)
        defer { try? handle.close() }
        var out = CSVBuffer()
        out.append(ch == 3 ? "t,ax,ay,az\n" : "t,emg\n")
        var events: [TruthEvent] = []
        // Packets of 0.1–0.6 s (gaps fall between packets), sizes drawn from the seed.
        let maxInstants = max(8, Int(rate * 0.6))
        var buffer = [Float](repeating: 0, count: maxInstants * ch)
        var packetRng = SimRandom(seed: sc.seed &+ 0x9ACE7)
        while !sim.isFinished {
            let size = max(4, Int(rate * packetRng.uniform(0.1...0.6)))
            let c = buffer.withUnsafeMutableBufferPointer { sim.fill(UnsafeMutableBufferPointer(rebasing: $0[0..<(size * ch)])) }
            let n = c.count
            events += c.newEvents
            for k in 0..<n {
                out.appendFixed(Double(c.firstSampleIndex + Int64(k)) / rate, decimals: tDecimals)
                for j in 0..<ch {
                    out.append(0x2C)
                    out.appendFixed(Double(buffer[k * ch + j]), decimals: vDecimals)
                }
                out.append(0x0A)
            }
            if out.bytes.count > 1 << 20 {
                try handle.write(contentsOf: out.bytes)
                out.bytes.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: out.bytes)
        try writeLabels(events, to: labelsURL)
        let seconds = (sc.durationSeconds! * rate).rounded() / rate
        let entry = RecordingManifestEntry(
            file: name + ".csv", labels: name + ".labels.csv", kind: sc.kind.rawValue,
            rate_hz: rate, seconds: seconds, placement: sc.placementText,
            events: events.count, gaps: sim.gapCount)
        return Written(samplesFile: samplesURL, labelsFile: labelsURL, entry: entry, events: events)
    }

    /// Write `start,end,kind` labels with 3 decimals.
    public static func writeLabels(_ events: [TruthEvent], to url: URL) throws {
        var s = "start,end,kind\n"
        for e in events { s += String(format: "%.3f,%.3f,", e.start, e.end) + e.kind.rawValue + "\n" }
        try AtomicFile.write(s, to: url)
    }

    /// Write `manifest.json` (`{"definitions": …, "recordings": [...]}`) in `directory`.
    public static func writeManifest(
        _ entries: [RecordingManifestEntry], to directory: URL,
        definitions: String = SimulationDefinitions.text
    ) throws {
        struct Manifest: Encodable {
            var definitions: String
            var recordings: [RecordingManifestEntry]
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(Manifest(definitions: definitions, recordings: entries))
        try AtomicFile.write(data, to: directory.appendingPathComponent("manifest.json"))
    }
}

/// The event definitions the generated labels follow (BRIEF §2).
public enum SimulationDefinitions {
    public static let text = """
        Simulated by SpasmSimulation. Labels follow BRIEF section 2:
          phasic  one or more jerks, each a dynamic pulse (gravity removed) peaking >= 1 g and lasting <= 0.5 s; jerks < 1 s apart form one episode.
          clonus  rhythmic 3-8 Hz oscillation sustained >= 2 s: dynamic amplitude >= 0.2 g (IMU), or EMG bursting at 3-8 Hz (EMG).
          tonic   EMG activation >= 5x the quiet baseline RMS sustained >= 2 s.
          fall    |a| < 0.5 g for >= 100 ms, then |a| > 2.5 g within 1 s.
        Confounders (not events): walking 1.5-2.3 Hz with harmonics <= 0.45 g, gestures <= 2.5 rad/s, set-down <= 0.65 g,
        10-15 Hz vibration, voluntary contractions <= 0.8 s, motion artefacts < 10 Hz, 50 Hz hum, drifting EMG floor, sample gaps.
        """
}

/// Byte buffer with a fast fixed-point number formatter (no Foundation formatting per sample).
struct CSVBuffer {
    var bytes: [UInt8] = []
    init() { bytes.reserveCapacity(1 << 21) }
    mutating func append(_ s: String) { bytes.append(contentsOf: Array(s.utf8)) }
    @inline(__always) mutating func append(_ b: UInt8) { bytes.append(b) }
    mutating func appendFixed(_ value: Double, decimals: Int) {
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        var v = (value * scale).rounded()
        if v < 0 {
            v = -v
            if v != 0 { bytes.append(0x2D) }
        }
        let iv = UInt64(min(v, 1e18))
        let p = UInt64(scale)
        appendInt(iv / p)
        if decimals > 0 {
            bytes.append(0x2E)
            var frac = iv % p
            var div = p / 10
            while div > 0 {
                bytes.append(0x30 + UInt8(frac / div))
                frac %= div
                div /= 10
            }
        }
    }
    @inline(__always) mutating func appendInt(_ x: UInt64) {
        if x >= 10 { appendInt(x / 10) }
        bytes.append(0x30 + UInt8(x % 10))
    }
}
