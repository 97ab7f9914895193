import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing

@testable import spasmwatch_sensor

/// The rules that need history (time moving forward, gaps, rate limit), and publication.
@Suite("Ingestion core", .serialized)
struct IngestionCoreTests {
    func frameJSON(start: Double?, count: Int = 25, rate: Double = 100, id: String = "s1") -> Data {
        var object: [String: Any] = [
            "v": 1, "sensorId": id, "kind": "imu", "placement": "right-ankle", "sampleRate": rate,
            "unit": "g", "samples": Array(repeating: [0.0, 0.0, 1.0], count: count).flatMap { $0 },
        ]
        if let start { object["firstSampleTime"] = start }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    @Test func timeGapsRateLimitAndPublication() async throws {
        let dir = try TestSupport.temporaryHome("ingest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let broker = try InProcessBroker(directory: dir)
        let counters = CounterSet()
        let publisher = try BusPublisher(context: broker.context, address: broker.address, source: "sensor")
        let subscriber = try BusSubscriber(context: broker.context, address: broker.address, prefixes: ["sensor."])
        var settings = SensorSettings()
        settings.maxFramesPerSecondPerProducer = 5
        let core = IngestionCore(publisher: publisher, counters: counters, settings: settings, logger: Logger(label: "t"))
        try await Task.sleep(for: .milliseconds(300))
        let t0 = 1_764_072_000.0
        let now = t0 + 10
        #expect(core.ingest(json: frameJSON(start: t0), binary: nil, via: "test", producerKey: "p", now: now).ok)
        // Small jitter is fine.
        #expect(core.ingest(json: frameJSON(start: t0 + 0.255), binary: nil, via: "test", producerKey: "p", now: now).ok)
        // Backwards is not.
        let back = core.ingest(json: frameJSON(start: t0 + 0.1), binary: nil, via: "test", producerKey: "p", now: now)
        #expect(back.ok == false)
        #expect(
            back.error
                == "firstSampleTime 1764072000.100 is 0.400 s before the end of the previous frame of s1 (1764072000.500); time must move forward. If the sensor's clock changed, keep sending: after 3 consistent frames its stream restarts on the new clock (this frame is 1 of 3)"
        )
        // A gap of one second is recorded, not refused.
        #expect(core.ingest(json: frameJSON(start: t0 + 1.5), binary: nil, via: "test", producerKey: "p", now: now).ok)
        #expect(core.sensorStatuses(now: now).first?.samplesLost == 100)
        // The sixth frame within the same second from the same producer is over the limit.
        _ = core.ingest(json: frameJSON(start: t0 + 1.75), binary: nil, via: "test", producerKey: "p", now: now)
        let limited = core.ingest(json: frameJSON(start: t0 + 2.0), binary: nil, via: "test", producerKey: "p", now: now)
        #expect(limited.error == "rate limit: at most 5 frames/s per producer; slow down (send more samples per frame)")
        #expect(
            core.ingest(json: frameJSON(start: nil, id: "s2"), binary: nil, via: "test", producerKey: "other", now: now).ok,
            "another producer has its own budget; a frame without a time uses its arrival")
        #expect(counters["rejected.time"] == 1)
        #expect(counters["rejected.rate-limit"] == 1)
        #expect(counters["frames.accepted"] == 5)

        var frames: [BusMessage] = []
        var registrations = 0
        let deadline = Date().addingTimeInterval(5)
        while frames.count < 5 && Date() < deadline {
            for m in subscriber.next(timeout: 0.1) ?? [] {
                if m.topic == Topic.sensorRegistered { registrations += 1 } else { frames.append(m) }
            }
        }
        #expect(frames.count == 5)
        #expect(registrations == 2)
        let first = try frames[0].decode(SensorFrame.self)
        #expect(first.body.firstSampleTime == t0)
        // 5 ms of jitter: re-stamped onto the sensor's own clock, so detectors see no gap.
        #expect(try frames[1].decode(SensorFrame.self).body.firstSampleTime == t0 + 0.25)
        #expect(first.body.sampleCount == 25)
        #expect(SamplePacking.unpack(try #require(frames[0].payload)).count == 75)
        let noClock = try #require(try frames.last?.decode(SensorFrame.self))
        #expect(noClock.body.sensorId == "s2")
        #expect(abs(noClock.body.firstSampleTime - (now - 0.25)) < 1e-6)
        await subscriber.closeAsync()
        await publisher.closeAsync()
        broker.stop()
    }
}
