import Foundation
import GRDB
import Logging
import SpasmConfig
import SpasmSchema
import Testing

@testable import spasmwatch_detect

/// A test sensor's episodes and alerts still flow, marked as test (issue 11, point 5).
@Suite("Test sensors in detection")
struct TestSensorMarkingTests {
    /// 100 Hz: quiet standing, a free fall of 0.3 s, an impact of 4 g, quiet again.
    static func fallSamples() -> [Float] {
        var samples: [Float] = []
        for _ in 0..<300 { samples += [0, 0, 1] }
        for _ in 0..<30 { samples += [0, 0, 0.1] }
        for _ in 0..<5 { samples += [0, 0, 4] }
        for _ in 0..<400 { samples += [0, 0, 1] }
        return samples
    }

    func run(test: Bool?) async throws -> [DetectionEngine.Action] {
        let engine = DetectionEngine(
            configuration: DetectSettings(),
            learning: SensitivityStore(table: try OpenEpisodeLog(DatabaseQueue()).state, logger: Logger(label: "t")),
            alerts: AlertWriter(person: "me", timeZone: TimeZone(identifier: "UTC")!))
        let samples = Self.fallSamples()
        var actions: [DetectionEngine.Action] = []
        let t0 = 1_795_000_000.0
        for (i, start) in stride(from: 0, to: samples.count / 3, by: 25).enumerated() {
            let chunk = Array(samples[(start * 3)..<min(samples.count, (start + 25) * 3)])
            let frame = SensorFrame(
                sensorId: "demo-ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3,
                unit: .g, firstSampleTime: t0 + Double(start) / 100, sampleCount: chunk.count / 3,
                producerSeq: UInt64(i), test: test)
            actions += await engine.process(frame: frame, samples: chunk, arrivedAt: Date().timeIntervalSince1970)
        }
        return actions
    }

    @Test func aFallOnATestSensorIsStillAnAlertMarkedAsTest() async throws {
        let actions = try await run(test: true)
        let episodes = actions.compactMap { if case .episode(let e) = $0 { e } else { nil } }
        let alerts = actions.compactMap { if case .alert(let a) = $0 { a } else { nil } }
        let fall = try #require(alerts.first { $0.kind == "fall" }, "the demo still shows a fall: \(episodes.map(\.kind))")
        #expect(fall.test == true)
        #expect(fall.title == "Possible fall (test sensor)")
        #expect(fall.message.hasSuffix("(test sensor)"))
        #expect(!episodes.isEmpty)
        #expect(episodes.allSatisfy { $0.test == true })
    }

    @Test func aRealSensorsAlertIsUnmarked() async throws {
        let alerts = try await run(test: nil).compactMap { if case .alert(let a) = $0 { a } else { nil } }
        let fall = try #require(alerts.first { $0.kind == "fall" })
        #expect(fall.test == nil)
        #expect(fall.title == "Possible fall")
        #expect(!fall.message.contains("test sensor"))
    }
}
