import Foundation
import Logging
import SpasmConfig
import SpasmSchema
import Testing

@testable import spasmwatch_detect

/// The detect service counts the times a detector restarts its filters (`detector.restarts`):
/// a phone's 60 Hz frames, resampled and joined up, never add to it; a real pause does, once.
@Suite("Detector restarts")
struct DetectorRestartTests {
    @Test("ten minutes of joined-up 60 Hz frames at Unix times restart nothing; a 2 s pause restarts once")
    func restartsCountOnlyRealGaps() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-restarts-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = DetectionEngine(
            configuration: DetectSettings(),
            learning: SensitivityStore(
                table: try OpenEpisodeLog.open(url: dir.appendingPathComponent("state.sqlite")).state,
                logger: Logger(label: "t")),
            alerts: AlertWriter(person: "me", timeZone: .gmt))
        let t0 = 1_795_000_000.123
        let rate = 60.0
        let perFrame = 30
        var seq: UInt64 = 0
        func send(_ first: Double) async {
            let samples = (0..<perFrame).flatMap { i -> [Float] in [0.3, -0.5, Float(-0.81 + 0.01 * sin(Double(i)))] }
            let frame = SensorFrame(
                sensorId: "phone", kind: .imu, placement: .rightThigh, sampleRate: rate, channels: 3,
                unit: .g, firstSampleTime: first, sampleCount: perFrame, producerSeq: seq)
            seq += 1
            _ = await engine.process(frame: frame, samples: samples, arrivedAt: Date().timeIntervalSince1970)
        }
        let frames = Int(600 * rate) / perFrame
        for n in 0..<frames { await send(t0 + Double(n * perFrame) / rate) }
        #expect(await engine.detectorRestarts == 0)
        await send(t0 + Double(frames * perFrame) / rate + 2)
        #expect(await engine.detectorRestarts == 1)
    }
}
