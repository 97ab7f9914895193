import Foundation
import SpasmErrors
import Testing

@testable import SpasmDetection

@Suite("CSV, scanner and scorer")
struct ScannerAndScorerTests {
    @Test("the Swift scorer equals timescoring on a hand-made case")
    func scorerKnownNumbers() {
        // 100 s recording at the 10 Hz grid. Reference: two events less than 1 s apart
        // (merged into one), one lone event. Hypotheses: one overlapping the merged event
        // within the 1 s start tolerance, one false alarm, two FAs < 1 s apart (merged = 1 FP).
        let ref: [EventScorer.Interval] = [(10, 12), (12.5, 14), (40, 45)]
        let hyp: [EventScorer.Interval] = [(9.2, 9.6), (60, 61), (70, 70.4), (71, 72)]
        let c = EventScorer.score(reference: ref, hypothesis: hyp, numSamples: 1000)
        // Checked with timescoring 0.0.5 (EventScoring, tolerances 1/2 s, merge 1 s):
        // refTrue 2, tp 1, fp 2.
        #expect(c == EventScorer.Counts(refTrue: 2, tp: 1, fp: 2))
    }

    @Test("the scorer's grid uses Python's round-half-to-even")
    func scorerRounding() {
        // 0.25 s × 10 = 2.5 → 2 (even); a hypothesis [0.05, 0.25) covers grid cells 0..<2 ... and
        // a reference ending at 0.0 s with no tolerance after leaves cell 2 uncovered.
        #expect(EventScorer.pyRound(2.5) == 2)
        #expect(EventScorer.pyRound(3.5) == 4)
        #expect(EventScorer.pyRound(-0.5) == 0)
        var p = EventScorer.Parameters()
        p.toleranceStart = 0
        p.toleranceEnd = 0
        // reference cells [3, 5) ; hypothesis [0.25, 0.35) → cells [2, 4) overlaps cell 3 → tp
        let c = EventScorer.score(reference: [(0.3, 0.5)], hypothesis: [(0.25, 0.35)], numSamples: 10, parameters: p)
        #expect(c.tp == 1)
        #expect(c.fp == 0)
    }

    @Test("long events are split at 300 s")
    func scorerSplit() {
        let c = EventScorer.score(reference: [(0, 700)], hypothesis: [(10, 20)], numSamples: 8000)
        #expect(c.refTrue == 3)
        #expect(c.tp == 1)
    }

    @Test("recording CSV: kind from the header, rate from the median step")
    func csvParsing() throws {
        let imu = try Recording(csvText: "t,ax,ay,az\n0.00,0,0,1\n0.02,0,0,1\n0.04,0.1,0,1\n0.10,0,0,1\n")
        #expect(imu.kind == .imu)
        #expect(imu.count == 4)
        #expect(abs(imu.sampleRate - 50) < 1e-6)
        #expect(imu.values[6] == Float(0.1))
        let emg = try Recording(csvText: "t,emg\n0.000,0.01\n0.001,-0.02\n0.002,0.03\n")
        #expect(emg.kind == .emg)
        #expect(abs(emg.sampleRate - 1000) < 1e-6)
        let unreadable = #expect(throws: SpasmError.self) { try Recording(csvText: "time,x\n0,1\n1,2\n") }
        #expect(unreadable?.code == .recordingCSV)
    }

    @Test("scan output is paired rows and a score.py-readable CSV")
    func scanCSV() throws {
        var f = SignalFactory(seed: 41)
        let rate = 50.0
        let x = f.imu(rate: rate, seconds: 20) { t in (jerk(t, center: 8, peak: 2), 0, 0) }
        var text = "t,ax,ay,az\n"
        for i in 0..<(x.count / 3) {
            text += String(format: "%.3f,%.4f,%.4f,%.4f\n", 100 + Double(i) / rate, x[3 * i], x[3 * i + 1], x[3 * i + 2])
        }
        let rows = try RecordingScanner.scan(csvText: text)
        #expect(rows.count == 1)
        #expect(rows.first?.kind == .phasic)
        #expect(abs((rows.first?.start ?? 0) - 7.9) < 0.3)  // seconds from the first sample
        let csv = RecordingScanner.csv(rows)
        #expect(csv.hasPrefix("start,end,kind,detected_at,confidence\n"))
        let back = EpisodeRow.read(csvText: csv)
        #expect(back.count == 1)
        #expect(back.first?.kind == "phasic")
    }

    @Test("settings decode from partial JSON, keeping defaults")
    func settingsDecoding() throws {
        let s = try JSONDecoder().decode(DetectorSettings.self, from: Data(#"{"sensitivityOffset": 0.5, "mainsHz": 60}"#.utf8))
        #expect(s.sensitivityOffset == 0.5)
        #expect(s.mainsHz == 60)
        #expect(s.phasicPeakG == DetectorSettings().phasicPeakG)
        let round = try JSONDecoder().decode(DetectorSettings.self, from: JSONEncoder().encode(s))
        #expect(round == s)
    }

    @Test(
        "scanning the dev recordings finds every label and nothing else",
        .enabled(if: sharedDevAvailable, "../shared/eval/dev is not present"))
    func devSet() throws {
        let report = try EventScorer.scanAndEvaluate(datasetDirectory: sharedDevDirectory)
        for k in report.kinds {
            #expect(k.f1 >= 0.95, "\(k.kind) F1 \(k.f1)")
        }
        #expect(report.overallF1 >= 0.97)
        #expect(report.falseAlarmsPer24h <= 9)  // at most one false alarm on the 2.75 h dev set
    }

    @Test(
        "scanning one dev file: every detection overlaps a label of its kind",
        .enabled(if: sharedDevAvailable, "../shared/eval/dev is not present"))
    func devFileMatchesLabels() throws {
        let rows = try RecordingScanner.scan(fileURL: sharedDevDirectory.appendingPathComponent("imu_wrist_a.csv"))
        let labels = EpisodeRow.read(contentsOf: sharedDevDirectory.appendingPathComponent("imu_wrist_a.labels.csv")) ?? []
        #expect(!labels.isEmpty)
        for r in rows {
            #expect(
                labels.contains { $0.kind == r.kind.rawValue && r.start <= $0.end + 2 && r.end >= $0.start - 1 },
                "unmatched \(r.kind) at \(r.start)")
        }
        for l in labels {
            #expect(
                rows.contains { l.kind == $0.kind.rawValue && $0.start <= l.end + 2 && $0.end >= l.start - 1 },
                "missed \(l.kind) at \(l.start)")
        }
    }

    @Test("rate from rounded time stamps (750 Hz written with 5 decimals) is exact enough that a long tonic stays one episode")
    func rateFromRoundedTimes() throws {
        let rate = 750.0
        var f = SignalFactory(seed: 42)
        let x = f.emg(rate: rate, seconds: 40, sigma: { t in 0.005 * (1 + 9 * window(t, from: 5, to: 35, ramp: 0.05)) })
        var text = "t,emg\n"
        text.reserveCapacity(x.count * 20)
        for (i, v) in x.enumerated() { text += String(format: "%.5f,%.5f\n", Double(i) / rate, v) }
        let rec = try Recording(csvText: text)
        #expect(abs(rec.sampleRate - rate) / rate < 1e-4)
        let rows = RecordingScanner.scan(rec)
        #expect(rows.map(\.kind) == [.tonic])
        if let r = rows.first {
            #expect(abs(r.start - 5) < 0.3)
            #expect(abs(r.end - 35) < 0.5)
        }
    }
}
