import Foundation
import SpasmErrors
import SpasmSync

/// A Swift port of the event scoring in `../shared/eval/score.py`, i.e. timescoring's
/// `EventScoring` (SzCORE) with tolerance 1 s before / 2 s after a labelled event, no
/// minimum overlap, events longer than 300 s split, events less than 1 s apart merged,
/// on a 10 Hz grid — including its quirks (Python's round-half-to-even, merge order),
/// so the numbers equal the Python scorer's.
public enum EventScorer {
    public struct Parameters: Sendable, Equatable {
        public var toleranceStart = 1.0
        public var toleranceEnd = 2.0
        public var minOverlap = 0.0
        public var maxEventDuration = 300.0
        public var minDurationBetweenEvents = 1.0
        public init() {}
    }

    /// Result of scoring one recording and kind.
    public struct Counts: Sendable, Equatable {
        public var refTrue = 0, tp = 0, fp = 0
        public init(refTrue: Int = 0, tp: Int = 0, fp: Int = 0) {
            self.refTrue = refTrue
            self.tp = tp
            self.fp = fp
        }
    }

    public typealias Interval = (start: Double, end: Double)

    /// The label grid rate of timescoring.
    public static let gridHz = 10.0

    @inline(__always) static func pyRound(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }

    /// Python slice bounds `[a:b]` on a sequence of length n.
    static func slice(_ a: Int, _ b: Int, _ n: Int) -> Range<Int> {
        func norm(_ i: Int) -> Int {
            let j = i < 0 ? i + n : i
            return max(0, min(n, j))
        }
        let lo = norm(a)
        let hi = norm(b)
        return lo < hi ? lo..<hi : lo..<lo
    }

    static func mask(_ events: [Interval], n: Int) -> [Bool] {
        var m = [Bool](repeating: false, count: n)
        for e in events {
            for i in slice(pyRound(e.start * gridHz), pyRound(e.end * gridHz), n) { m[i] = true }
        }
        return m
    }

    static func merge(_ events: [Interval], _ minGap: Double) -> [Interval] {
        var ev = events
        var i = 1
        while i < ev.count {
            if ev[i].start - ev[i - 1].end < minGap {
                ev[i - 1] = (ev[i - 1].start, ev[i].end)
                ev.remove(at: i)
                i -= 1
            }
            i += 1
        }
        return ev
    }

    static func split(_ events: [Interval], _ maxDuration: Double) -> [Interval] {
        var ev = events
        var i = 0
        while i < ev.count {
            let e = ev[i]
            if e.end - e.start > maxDuration {
                ev[i] = (e.start, e.start + maxDuration)
                ev.insert((e.start + maxDuration, e.end), at: i + 1)
            }
            i += 1
        }
        return ev
    }

    /// Event scoring of `hypothesis` against `reference` (seconds) on a recording of
    /// `numSamples` grid samples (`round(seconds × 10)`).
    public static func score(
        reference: [Interval], hypothesis: [Interval], numSamples n: Int,
        parameters p: Parameters = .init()
    ) -> Counts {
        let ref = split(merge(reference, p.minDurationBetweenEvents), p.maxEventDuration)
        let hyp = split(merge(hypothesis, p.minDurationBetweenEvents), p.maxEventDuration)
        let hypMask = mask(hyp, n: n)
        var tpMask = [Bool](repeating: false, count: n)
        let fileDuration = Double(n) / gridHz
        var c = Counts(refTrue: ref.count)
        for e in ref {
            let s = max(0, e.start - p.toleranceStart)
            let en = min(fileDuration, e.end + p.toleranceEnd)
            let r = slice(pyRound(s * gridHz), pyRound(en * gridHz), n)
            var sum = 0
            for i in r where hypMask[i] { sum += 1 }
            let overlap = (Double(sum) / gridHz) / (en - s)
            if overlap > p.minOverlap + 1e-6 {
                c.tp += 1
                for i in r { tpMask[i] = true }
            }
        }
        for e in hyp {
            let r = slice(pyRound(e.start * gridHz), pyRound(e.end * gridHz), n)
            if !r.contains(where: { tpMask[$0] }) { c.fp += 1 }
        }
        return c
    }

    /// Per-kind totals over a data set.
    public struct KindScore: Sendable, Equatable {
        public var kind: EpisodeKind
        public var ref = 0, tp = 0, fp = 0
        public var latencies: [Double] = []
        public var hours = 0.0
        public var sensitivity: Double { ref > 0 ? Double(tp) / Double(ref) : .nan }
        public var precision: Double { tp + fp > 0 ? Double(tp) / Double(tp + fp) : .nan }
        public var f1: Double { ref + fp > 0 ? 2 * Double(tp) / Double(2 * tp + fp + ref - tp) : .nan }
        public var falseAlarmsPer24h: Double { hours > 0 ? Double(fp) / hours * 24 : .nan }
        public var medianLatency: Double { median(latencies) }
    }

    /// What score.py prints, as values and as the same text.
    public struct Report: Sendable {
        public var kinds: [KindScore]
        public var hours: Double
        public var missing: [String]
        public var overallF1: Double {
            let tp = kinds.reduce(0) { $0 + $1.tp }
            let fp = kinds.reduce(0) { $0 + $1.fp }
            let ref = kinds.reduce(0) { $0 + $1.ref }
            return ref + fp > 0 ? 2 * Double(tp) / Double(2 * tp + fp + ref - tp) : .nan
        }
        public var overallSensitivity: Double {
            let tp = kinds.reduce(0) { $0 + $1.tp }
            let ref = kinds.reduce(0) { $0 + $1.ref }
            return ref > 0 ? Double(tp) / Double(ref) : .nan
        }
        public var falseAlarmsPer24h: Double { Double(kinds.reduce(0) { $0 + $1.fp }) / hours * 24 }

        public var text: String {
            var s = ""
            for k in kinds {
                s += k.kind.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                s += " ref=" + pad(k.ref) + " tp=" + pad(k.tp) + " fp=" + pad(k.fp)
                s += String(
                    format: " sens=%.3f prec=%.3f f1=%.3f fa/24h=%.1f latency_med=%.2fs\n",
                    k.sensitivity, k.precision, k.f1, k.falseAlarmsPer24h, k.medianLatency)
            }
            if !missing.isEmpty { s += "missing detections for: " + missing.joined(separator: " ") + "\n" }
            s += String(
                format: "overall F1=%.3f sens=%.3f fa/24h=%.1f over %.2f h\n",
                overallF1, overallSensitivity, falseAlarmsPer24h, hours)
            return s
        }
        private func pad(_ i: Int) -> String {
            let t = String(i)
            return String(repeating: " ", count: max(0, 3 - t.count)) + t
        }
    }

    /// One recording of a data set.
    public struct RecordingInfo: Sendable, Codable {
        public var file: String
        public var labels: String
        public var seconds: Double
        public var kind: String?
        public var rate_hz: Double?
        public var name: String { file.hasSuffix(".csv") ? String(file.dropLast(4)) : file }
    }

    struct Manifest: Codable { var recordings: [RecordingInfo] }

    /// The recordings a labelled set's `manifest.json` lists; a missing or unreadable one, or one
    /// that is not a manifest, is a sentence naming the path and what belongs there (`UserFiles`).
    public static func manifest(datasetDirectory: URL) throws -> [RecordingInfo] {
        let path = datasetDirectory.appendingPathComponent("manifest.json").path
        let data = try UserFiles.contents(
            of: path,
            expecting:
                "a labelled set: a folder whose manifest.json lists its recordings and their labels, such as ../shared/eval/dev")
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw SpasmError(
                .fileUnreadable,
                #"\#(path) is not a labelled set's manifest: it must be JSON such as {"recordings": [{"file": "a.csv", "labels": "a.labels.csv", "seconds": 600}]}"#,
                detail: path)
        }
        return manifest.recordings
    }

    /// Scores `detections[name]` (nil = missing file) against a data set's labels, exactly like score.py.
    public static func evaluate(
        datasetDirectory: URL, detections: [String: [EpisodeRow]],
        parameters p: Parameters = .init()
    ) throws -> Report {
        let recs = try manifest(datasetDirectory: datasetDirectory)
        var kinds = EpisodeKind.allCases.map { KindScore(kind: $0) }
        var hours = 0.0
        var missing: [String] = []
        for rec in recs {
            let n = pyRound(rec.seconds * gridHz)
            hours += rec.seconds / 3600
            let labels = EpisodeRow.read(contentsOf: datasetDirectory.appendingPathComponent(rec.labels)) ?? []
            let hyps: [EpisodeRow]
            if let h = detections[rec.name] {
                hyps = h
            } else {
                hyps = []
                missing.append(rec.name)
            }
            for (ki, k) in EpisodeKind.allCases.enumerated() {
                let ref: [Interval] = labels.filter { $0.kind == k.rawValue }.map { ($0.start, $0.end) }
                let hyp: [Interval] = hyps.filter { $0.kind == k.rawValue }
                    .map { (max(0, $0.start), min(rec.seconds, max($0.end, $0.start + 0.3))) }
                if ref.isEmpty && hyp.isEmpty { continue }
                let c = score(reference: ref, hypothesis: hyp, numSamples: n, parameters: p)
                kinds[ki].tp += c.tp
                kinds[ki].fp += c.fp
                kinds[ki].ref += c.refTrue
                for l in labels where l.kind == k.rawValue {
                    let ats = hyps.compactMap { h -> Double? in
                        guard h.kind == k.rawValue, let at = h.detectedAt,
                            h.start <= l.end + p.toleranceEnd, h.end >= l.start - p.toleranceStart
                        else { return nil }
                        return at
                    }
                    if let m = ats.min() { kinds[ki].latencies.append(m - l.start) }
                }
            }
        }
        for i in kinds.indices { kinds[i].hours = hours }
        return Report(kinds: kinds, hours: hours, missing: missing)
    }

    /// Scores the `NAME.detections.csv` files of a directory, like `score.py DATA DETS`.
    public static func evaluate(datasetDirectory: URL, detectionsDirectory: URL) throws -> Report {
        var dets: [String: [EpisodeRow]] = [:]
        for rec in try manifest(datasetDirectory: datasetDirectory) {
            if let rows = EpisodeRow.read(contentsOf: detectionsDirectory.appendingPathComponent(rec.name + ".detections.csv")) {
                dets[rec.name] = rows
            }
        }
        return try evaluate(datasetDirectory: datasetDirectory, detections: dets)
    }

    /// Runs the detector over every recording of a data set (optionally writing
    /// `NAME.detections.csv` into `writeTo`) and scores the result.
    public static func scanAndEvaluate(
        datasetDirectory: URL, settings: DetectorSettings = .init(),
        writeTo: URL? = nil
    ) throws -> Report {
        var dets: [String: [EpisodeRow]] = [:]
        for rec in try manifest(datasetDirectory: datasetDirectory) {
            let rows = try RecordingScanner.scan(fileURL: datasetDirectory.appendingPathComponent(rec.file), settings: settings)
            // Score exactly what the detections file holds (times at its 1 ms precision), so the
            // numbers equal score.py's on the written files.
            let text = RecordingScanner.csv(rows)
            dets[rec.name] = EpisodeRow.read(csvText: text)
            if let dir = writeTo {
                try AtomicFile.write(text, to: dir.appendingPathComponent(rec.name + ".detections.csv"))
            }
        }
        return try evaluate(datasetDirectory: datasetDirectory, detections: dets)
    }
}

/// numpy.median: mean of the two middle values; NaN when empty.
func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
