import Foundation

/// One detected episode from an offline scan (times in seconds from the first sample).
public struct ScanRow: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var kind: EpisodeKind
    /// When the streaming detector emitted the onset.
    public var detectedAt: Double
    public var confidence: Double
    public var peak: Double
    public var dominantFrequencyHz: Double?

    public init(
        start: Double, end: Double, kind: EpisodeKind, detectedAt: Double, confidence: Double,
        peak: Double = 0, dominantFrequencyHz: Double? = nil
    ) {
        self.start = start
        self.end = end
        self.kind = kind
        self.detectedAt = detectedAt
        self.confidence = confidence
        self.peak = peak
        self.dominantFrequencyHz = dominantFrequencyHz
    }
}

/// Runs a ``StreamingDetector`` over a whole recording, as the live service would:
/// contiguous blocks between gaps, onsets paired with ends by id.
public enum RecordingScanner {
    /// Scan a recording file; `kind` from the header and `rate` from the median time step unless given.
    public static func scan(
        fileURL: URL, kind: SensorKind? = nil, rate: Double? = nil,
        settings: DetectorSettings = .init()
    ) throws -> [ScanRow] {
        try scan(Recording(contentsOf: fileURL, kind: kind, rate: rate), settings: settings)
    }

    public static func scan(
        csvText: String, kind: SensorKind? = nil, rate: Double? = nil,
        settings: DetectorSettings = .init()
    ) throws -> [ScanRow] {
        try scan(Recording(csvText: csvText, kind: kind, rate: rate), settings: settings)
    }

    /// Scan an in-memory recording, `blockSize` samples per `process` call (like sensor
    /// frames; default about one second), each block starting at its time in the file.
    public static func scan(_ rec: Recording, settings: DetectorSettings = .init(), blockSize: Int? = nil) -> [ScanRow] {
        scanCountingGaps(rec, settings: settings, blockSize: blockSize).rows
    }

    /// ``scan(_:settings:blockSize:)``, and the number of gaps the detector saw (each one
    /// ends what is open and restarts its filters). A recording whose clock jitters is
    /// first put on a steady clock (``Recording/steadyClock()``), as a producer would send it.
    public static func scanCountingGaps(
        _ rec: Recording, settings: DetectorSettings = .init(),
        blockSize: Int? = nil
    ) -> (rows: [ScanRow], gaps: Int) {
        let rec = rec.steadyClock()
        let blockSize = max(16, blockSize ?? Int(rec.sampleRate.rounded()))
        var det = StreamingDetector(kind: rec.kind, sampleRate: rec.sampleRate, settings: settings)
        let ch = rec.kind.channels
        let t0 = rec.times.first ?? 0
        let maxStep = 1.5 / rec.sampleRate
        var outputs: [DetectorOutput] = []
        rec.values.withUnsafeBufferPointer { v in
            var i = 0
            let n = rec.times.count
            while i < n {
                // contiguous run [i, j)
                var j = i + 1
                let limit = min(n, i + blockSize)
                while j < limit, rec.times[j] - rec.times[j - 1] <= maxStep { j += 1 }
                let slice = UnsafeBufferPointer(rebasing: v[(i * ch)..<(j * ch)])
                outputs += det.process(startTime: rec.times[i] - t0, samples: slice)
                i = j
            }
        }
        outputs += det.finish()
        return (pair(outputs), det.gapCount)
    }

    /// Pairs onsets with their ends (an onset without end is closed at its detection time).
    public static func pair(_ outputs: [DetectorOutput]) -> [ScanRow] {
        var open: [UUID: EpisodeOnset] = [:]
        var rows: [ScanRow] = []
        for o in outputs {
            switch o {
            case .onset(let on): open[on.id] = on
            case .end(let e):
                let on = open.removeValue(forKey: e.id)
                rows.append(
                    ScanRow(
                        start: e.start, end: e.end, kind: e.kind, detectedAt: on?.detectedAt ?? e.detectedAt,
                        confidence: e.confidence, peak: e.peak, dominantFrequencyHz: e.dominantFrequencyHz))
            }
        }
        for on in open.values {
            rows.append(
                ScanRow(
                    start: on.start, end: on.detectedAt, kind: on.kind, detectedAt: on.detectedAt,
                    confidence: on.confidence, peak: 0, dominantFrequencyHz: nil))
        }
        return rows.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }

    /// Detections CSV: `start,end,kind,detected_at,confidence` (what score.py reads).
    public static func csv(_ rows: [ScanRow]) -> String {
        var s = "start,end,kind,detected_at,confidence\n"
        for r in rows {
            s +=
                String(format: "%.3f,%.3f,", r.start, r.end) + r.kind.rawValue
                + String(format: ",%.3f,%.2f\n", r.detectedAt, r.confidence)
        }
        return s
    }
}
