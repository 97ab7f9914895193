import Foundation

/// A named validation set: a list of (name, scenario) written with `RecordingWriter`
/// plus one `manifest.json`. The presets use seeds disjoint from the demo/test defaults
/// so a detector can be scored on data it was not tuned on.
public struct LongRecordingSet: Sendable {
    /// One recording of the set.
    public struct Item: Sendable {
        public var name: String
        public var scenario: SimulationScenario
        public init(name: String, scenario: SimulationScenario) {
            self.name = name
            self.scenario = scenario
        }
    }

    public var items: [Item]
    public init(items: [Item]) { self.items = items }

    /// Total simulated hours.
    public var hours: Double { items.reduce(0) { $0 + ($1.scenario.durationSeconds ?? 600) } / 3600 }

    /// ≥ 12 h of confounder-only data (IMU 25/50/100/200 Hz, EMG 500/1000/2000 Hz, wrist and
    /// leg sites, several noise levels, with gaps) plus event-rich recordings at several
    /// rates, placements and noise levels. `hoursScale` shrinks everything (e.g. 0.1 for a quick set).
    public static func validation(seedBase: UInt64 = 9000, hoursScale: Double = 1) -> LongRecordingSet {
        var items: [Item] = []
        var seed = seedBase
        func next() -> UInt64 {
            seed += 1
            return seed
        }
        // Confounder-only: 9 h IMU + 3.25 h EMG.
        let imuConf: [(Double, SimulatedPlacement, String, Double, Double)] = [
            (25, .wrist, "left", 3 * 3600, 1.0), (50, .ankle, "right", 2 * 3600, 1.5),
            (100, .wrist, "right", 2 * 3600, 0.6), (200, .calf, "left", 2 * 3600, 2.5),
        ]
        for (rate, place, side, secs, noise) in imuConf {
            var s = SimulationScenario.confounders(kind: .imu, seed: next())
            s.sampleRate = rate
            s.placement = place
            s.side = side
            s.noiseLevel = noise
            s.durationSeconds = (secs * hoursScale).rounded()
            s.amplitudeScale = [0.8, 1.0, 1.2][Int(seed % 3)]
            items.append(Item(name: "conf_imu_\(place.rawValue)_\(Int(rate))hz", scenario: s))
        }
        let emgConf: [(Double, SimulatedPlacement, String, Double, Double)] = [
            (500, .calf, "left", 1.5 * 3600, 1.0), (1000, .quadriceps, "right", 1.0 * 3600, 2.0),
            (2000, .forearm, "left", 0.75 * 3600, 0.5),
        ]
        for (rate, place, side, secs, noise) in emgConf {
            var s = SimulationScenario.confounders(kind: .emg, seed: next())
            s.sampleRate = rate
            s.placement = place
            s.side = side
            s.noiseLevel = noise
            s.durationSeconds = (secs * hoursScale).rounded()
            items.append(Item(name: "conf_emg_\(place.rawValue)_\(Int(rate))hz", scenario: s))
        }
        items += eventRich(seedBase: seed + 100, secondsEach: max(300, (1800 * hoursScale).rounded())).items
        return LongRecordingSet(items: items)
    }

    /// Event-rich recordings (IMU 25/50/100/200 Hz wrist and ankle; EMG 500/1000/2000 Hz),
    /// about one event a minute, with walking and other confounders between them.
    public static func eventRich(seedBase: UInt64 = 7000, secondsEach: Double = 600) -> LongRecordingSet {
        var items: [Item] = []
        var seed = seedBase
        let imu: [(Double, SimulatedPlacement, String, Double, Double)] = [
            (25, .wrist, "right", 1.0, 1.0), (50, .ankle, "left", 1.5, 0.8), (100, .wrist, "left", 0.6, 1.2),
            (200, .ankle, "right", 2.5, 1.0), (100, .calf, "left", 1.0, 0.7),
        ]
        for (rate, place, side, noise, amp) in imu {
            seed += 1
            var s = SimulationScenario(
                kind: .imu, sampleRate: rate, durationSeconds: secondsEach, seed: seed,
                placement: place, side: side,
                eventsPerHour: EventRates(phasic: 30, clonus: 20, fall: 6),
                confounders: .typical, noiseLevel: noise, amplitudeScale: amp, gapsPerHour: 8)
            s.confounders.walking = 3
            items.append(Item(name: "ev_imu_\(place.rawValue)_\(Int(rate))hz", scenario: s))
        }
        let emg: [(Double, SimulatedPlacement, String, Double)] = [
            (500, .calf, "right", 1.0), (1000, .quadriceps, "left", 2.0), (2000, .calf, "left", 0.6),
        ]
        for (rate, place, side, noise) in emg {
            seed += 1
            let s = SimulationScenario(
                kind: .emg, sampleRate: rate, durationSeconds: secondsEach, seed: seed,
                placement: place, side: side, eventsPerHour: EventRates(clonus: 25, tonic: 35),
                confounders: .typical, noiseLevel: noise, gapsPerHour: 8)
            items.append(Item(name: "ev_emg_\(place.rawValue)_\(Int(rate))hz", scenario: s))
        }
        return LongRecordingSet(items: items)
    }

    /// Write every recording and the manifest into `directory`; returns the manifest rows.
    /// `progress` is called after each recording.
    @discardableResult
    public func write(to directory: URL, progress: (RecordingManifestEntry) -> Void = { _ in }) throws -> [RecordingManifestEntry] {
        var entries: [RecordingManifestEntry] = []
        for item in items {
            let w = try RecordingWriter.write(scenario: item.scenario, to: directory, name: item.name)
            entries.append(w.entry)
            progress(w.entry)
            try RecordingWriter.writeManifest(entries, to: directory)  // usable while still writing
        }
        return entries
    }
}
