import Foundation
import SpasmDetection
import Testing

@testable import SpasmSimulation

@Suite("Recording writer")
struct RecordingWriterTests {
    @Test(arguments: [(SensorKind.imu, 100.0), (.emg, 2000.0)])
    func writesEvalFormat(kind: SensorKind, rate: Double) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simtest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var s = SimulationScenario.demo(kind: kind, seed: 77)
        s.sampleRate = rate
        s.durationSeconds = 120
        s.gapsPerHour = 300
        let w = try RecordingWriter.write(scenario: s, to: dir, name: "rec")
        try RecordingWriter.writeManifest([w.entry], to: dir)
        let lines = try String(contentsOf: w.samplesFile, encoding: .utf8).split(separator: "\n")
        #expect(lines[0] == (kind == .imu ? "t,ax,ay,az" : "t,emg"))
        let recording = try Recording(contentsOf: w.samplesFile)  // the one reader (replay, scan)
        let t = recording.times
        #expect(recording.kind == kind && recording.values.count == t.count * kind.channels)
        #expect(t.first == 0)
        let step = 1 / rate
        var jumps = 0
        for (a, b) in zip(t, t.dropFirst()) {
            #expect(b > a)
            if b - a > 1.5 * step { jumps += 1 } else { #expect(abs(b - a - step) < 1e-3) }
        }
        #expect(jumps == w.entry.gaps && jumps > 0)
        #expect(t.count < Int(120 * rate))  // dropped instants are missing
        let labels = try String(contentsOf: w.labelsFile, encoding: .utf8).split(separator: "\n")
        #expect(labels[0] == "start,end,kind")
        #expect(labels.count - 1 == w.entry.events)
        #expect(EpisodeRow.read(contentsOf: w.labelsFile)?.count == w.entry.events)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json"))) as! [String: Any]
        let rec = (manifest["recordings"] as! [[String: Any]])[0]
        #expect(rec["file"] as? String == "rec.csv" && rec["labels"] as? String == "rec.labels.csv")
        #expect(rec["kind"] as? String == kind.rawValue && rec["rate_hz"] as? Double == rate && rec["seconds"] as? Double == 120)
        #expect(rec["placement"] as? String == s.placementText)
    }

    @Test func validationSetCoversRatesAndHours() {
        let set = LongRecordingSet.validation()
        let conf = set.items.filter { $0.scenario.eventsPerHour == .none }
        let confHours = conf.reduce(0) { $0 + $1.scenario.durationSeconds! } / 3600
        #expect(confHours >= 12)
        #expect(Set(conf.filter { $0.scenario.kind == .imu }.map(\.scenario.sampleRate)) == [25, 50, 100, 200])
        #expect(Set(conf.filter { $0.scenario.kind == .emg }.map(\.scenario.sampleRate)) == [500, 1000, 2000])
        #expect(conf.allSatisfy { $0.scenario.gapsPerHour > 0 })
        #expect(Set(set.items.map(\.name)).count == set.items.count)
        #expect(set.items.contains { $0.scenario.eventsPerHour != .none && $0.scenario.placement.isLeg })
    }
}
