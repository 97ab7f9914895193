import Foundation
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing

@testable import spasmwatch_detect

/// Open episodes: on disk until their end is sent, and closed as interrupted when the
/// detector state they belong to goes away (a restart, new learned settings, a new rate).
@Suite("Open episodes")
struct OpenEpisodeTests {
    static let t0 = 1_764_072_000.0

    func engine(_ dir: URL) throws -> DetectionEngine {
        DetectionEngine(
            configuration: DetectSettings(),
            learning: SensitivityStore(
                table: try OpenEpisodeLog.open(url: dir.appendingPathComponent("learning.sqlite")).state,
                logger: .init(label: "t")),
            alerts: AlertWriter(person: "me", timeZone: .gmt))
    }

    /// 10 s quiet, then a contraction that goes on: frames of 0.1 s at 1 kHz until an onset.
    func feedUntilOnset(_ engine: DetectionEngine, sensor: String = "calf") async -> (EpisodeEvent?, lastFrameEnd: Double) {
        var noise = EMGNoise(seed: 7)
        for n in 0..<300 {
            let first = Self.t0 + Double(n) / 10
            let frame = SensorFrame(
                sensorId: sensor, kind: .emg, placement: .leftCalf, sampleRate: 1000, channels: 1,
                unit: .millivolts, firstSampleTime: first, sampleCount: 100)
            let actions = await engine.process(
                frame: frame, samples: noise.samples(100, sigma: first < Self.t0 + 10 ? 0.005 : 0.05),
                arrivedAt: first)
            for case .episode(let e) in actions where e.phase == .onset { return (e, first + 0.1) }
        }
        return (nil, 0)
    }

    @Test func newLearnedSettingsEndWhatTheOldDetectorHadOpenAsInterrupted() async throws {
        let dir = try TestSupport.temporaryHome("open-reload")
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = try engine(dir)
        let (onset, frameEnd) = await feedUntilOnset(engine)
        let episode = try #require(onset)
        #expect(await engine.lastSeenOfOpenEpisodes() == ["calf": frameEnd])
        let ends = await engine.reload(sensorId: "calf").compactMap { action -> EpisodeEvent? in
            if case .episode(let e) = action { return e } else { return nil }
        }
        #expect(ends.map(\.episodeId) == [episode.episodeId])
        #expect(ends.first?.phase == .end)
        #expect(ends.first?.interrupted == true)
        #expect(abs((ends.first?.end ?? 0) - frameEnd) < 0.01, "ends at the last sample seen")
        #expect(await engine.lastSeenOfOpenEpisodes().isEmpty)
    }

    @Test func aNewSampleRateEndsTheOpenEpisodeAsInterrupted() async throws {
        let dir = try TestSupport.temporaryHome("open-rate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = try engine(dir)
        let episode = try #require(await feedUntilOnset(engine).0)
        let frame = SensorFrame(
            sensorId: "calf", kind: .emg, placement: .leftCalf, sampleRate: 500, channels: 1,
            unit: .millivolts, firstSampleTime: Self.t0 + 60, sampleCount: 50)
        let actions = await engine.process(frame: frame, samples: [Float](repeating: 0, count: 50), arrivedAt: Self.t0 + 60)
        let end = actions.compactMap { action -> EpisodeEvent? in
            if case .episode(let e) = action, e.phase == .end { return e } else { return nil }
        }.first
        #expect(end?.episodeId == episode.episodeId)
        #expect(end?.interrupted == true)
    }

    @Test func theLogKeepsOpenEpisodesWithTheirLastSeenTimeUntilTheyEnd() async throws {
        let dir = try TestSupport.temporaryHome("open-log")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("detect-open-episodes.sqlite")
        let onset = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .tonic, sensorId: "calf", site: .leftCalf,
            start: Self.t0, detectedAt: Self.t0 + 2, confidence: 0.8)
        let other = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .clonus, sensorId: "ankle", site: .rightAnkle,
            start: Self.t0 + 5, detectedAt: Self.t0 + 7, confidence: 0.6)
        do {
            let log = try OpenEpisodeLog.open(url: url)
            try await log.opened(onset)
            try await log.opened(other)
            try await log.seen(["calf": Self.t0 + 30, "ankle": Self.t0 + 9])
            try await log.seen(["calf": Self.t0 + 20])  // never moves back
            try await log.ended(other.episodeId)
        }
        // Opened again, as after a kill: what is left is the calf episode, ended when last seen.
        let log = try OpenEpisodeLog.open(url: url)
        let ends = try await log.interruptedEnds()
        #expect(ends.count == 1)
        let end = try #require(ends.first)
        #expect(end.episodeId == onset.episodeId)
        #expect(end.phase == .end && end.interrupted == true)
        #expect(end.end == Self.t0 + 30)
        #expect(end.start == onset.start && end.kind == .tonic && end.site == .leftCalf && end.confidence == 0.8)
        try await log.clear(ends.map(\.episodeId))
        #expect(try await log.interruptedEnds().isEmpty)
        // An onset never seen again ends at its detection time, never before its start.
        try await log.opened(other)
        #expect(try await log.interruptedEnds().first?.end == other.detectedAt)
    }

    /// A damaged file never keeps detection from starting: it is moved aside.
    @Test func anUnreadableLogIsMovedAsideAndAFreshOneStarted() async throws {
        let dir = try TestSupport.temporaryHome("open-broken")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("detect-open-episodes.sqlite")
        try Data(repeating: 0x5A, count: 4096).write(to: url)
        let log = try OpenEpisodeLog.openOrReset(url: url, logger: .init(label: "t"))
        #expect(try await log.interruptedEnds().isEmpty)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.contains { $0.hasPrefix("detect-open-episodes.sqlite.broken-") }, "\(names)")
    }
}
