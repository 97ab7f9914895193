import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmIngestion
import SpasmSchema
import SpasmTestSupport
import Testing

@testable import spasmwatch_sensor

/// A core on an in-process broker, fed frames at an injected server time.
final class CoreHarness {
    let directory: URL
    let broker: InProcessBroker
    let counters = CounterSet()
    let publisher: BusPublisher
    let core: IngestionCore

    init(_ label: String, edit: (inout SensorSettings) -> Void = { _ in }) throws {
        directory = try TestSupport.temporaryHome(label)
        broker = try InProcessBroker(directory: directory)
        publisher = try BusPublisher(context: broker.context, address: broker.address, source: "sensor")
        var settings = SensorSettings()
        edit(&settings)
        core = IngestionCore(publisher: publisher, counters: counters, settings: settings, logger: Logger(label: "test"))
    }

    /// 25 samples at 100 Hz (0.25 s) from `id`, starting at `start` (nil: no clock).
    static func frame(_ id: String = "s1", start: Double?, test: Bool? = nil, count: Int = 25) -> Data {
        var object: [String: Any] = [
            "v": 1, "sensorId": id, "kind": "imu", "placement": "right-ankle", "sampleRate": 100,
            "unit": "g", "samples": Array(repeating: [0.0, 0.0, 1.0], count: count).flatMap { $0 },
        ]
        if let start { object["firstSampleTime"] = start }
        if let test { object["test"] = test }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    func send(_ id: String = "s1", start: Double?, now: Double, test: Bool? = nil, producer: String = "p") -> ProducerReply {
        core.ingest(json: Self.frame(id, start: start, test: test), binary: nil, via: "test", producerKey: producer, now: now)
    }

    func status(_ id: String = "s1", now: Double) -> SensorStatus? {
        core.sensorStatuses(now: now).first { $0.sensorId == id }
    }

    func close() async {
        await publisher.closeAsync()
        broker.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A device clock that is wrong, or jumps, never locks a sensor out (issue 11, point 6).
@Suite("Ingestion: device clocks", .serialized)
struct IngestionClockTests {
    static let now = 1_795_000_000.0

    @Test func aFrameMoreThanTenMinutesAheadOfTheServerIsRefusedWithTheTimes() throws {
        let json = CoreHarness.frame(start: Self.now + 86_400)
        #expect(throws: SpasmError.self) { try FrameValidator.validate(json: json, binary: nil, maxBytes: 1 << 20, now: Self.now) }
        do {
            _ = try FrameValidator.validate(json: json, binary: nil, maxBytes: 1 << 20, now: Self.now)
        } catch {
            #expect(
                error.message
                    == "firstSampleTime 1795086400.000 (2026-11-19 11:06:40 UTC) is 86400 s (24 h) ahead of the server clock (1795000000.000, 2026-11-18 11:06:40 UTC); at most 10 minutes ahead is allowed: set the device's clock, or leave firstSampleTime out to use the arrival time"
            )
            #expect(error.code == .frameClock)
            #expect(error.detail == "firstSampleTime")
        }
        // Nine minutes ahead is a clock running a little fast: accepted.
        #expect(
            (try? FrameValidator.validate(
                json: CoreHarness.frame(start: Self.now + 540), binary: nil, maxBytes: 1 << 20,
                now: Self.now)) != nil)
        // 2096, as seen: refused too.
        #expect(
            (try? FrameValidator.validate(
                json: CoreHarness.frame(start: 3_995_000_000), binary: nil, maxBytes: 1 << 20,
                now: Self.now)) == nil)
    }

    @Test func afterADayAheadFrameNormalFramesAndClocklessFramesAreAccepted() async throws {
        let h = try CoreHarness("clock-ahead")
        let t = Self.now
        #expect(h.send(start: t, now: t + 0.3).ok)
        let ahead = h.send(start: t + 86_400, now: t + 0.55)
        #expect(ahead.ok == false)
        #expect(ahead.reason == "clock")
        #expect(h.counters["rejected.clock"] == 1)
        #expect(h.send(start: t + 0.25, now: t + 0.55).ok, "the stream carries on where it was")
        #expect(h.send(start: nil, now: t + 0.8).ok, "a frame without a time is accepted too")
        await h.close()
    }

    @Test func aBackwardJumpReanchorsAfterThreeConsistentFramesAndIsRecorded() async throws {
        let h = try CoreHarness("clock-back")
        let t = Self.now
        for i in 0..<4 { #expect(h.send(start: t + Double(i) * 0.25, now: t + Double(i) * 0.25 + 0.3).ok) }
        // The device's clock is set back an hour (it had been an hour fast).
        let back = t - 3600 + 1
        let first = h.send(start: back, now: t + 1.3)
        #expect(first.ok == false)
        #expect(first.error?.contains("s before the end of the previous frame of s1") == true)
        #expect(first.error?.hasSuffix("keep sending: after 3 consistent frames its stream restarts on the new clock (this frame is 1 of 3)") == true)
        #expect(h.send(start: back + 0.25, now: t + 1.55).error?.hasSuffix("(this frame is 2 of 3)") == true)
        #expect(h.send(start: back + 0.5, now: t + 1.8).ok, "the third consistent frame re-anchors the stream")
        #expect(h.send(start: back + 0.75, now: t + 2.05).ok)
        #expect(h.send(start: nil, now: t + 2.3).ok == false, "a clockless frame is on the server clock, an hour from the stream")
        #expect(h.send(start: back + 1.0, now: t + 2.3).ok, "the device's clock is the stream's")
        let status = try #require(h.status(now: t + 3))
        #expect(status.clockJumps == 1)
        #expect(abs((status.lastClockJumpSeconds ?? 0) + 3600) < 1, "about an hour back: \(status.lastClockJumpSeconds ?? 0)")
        #expect(h.counters["sensor.clock_jumps"] == 1)
        #expect(h.counters["rejected.time"] == 3)
        await h.close()
    }

    @Test func aForwardJumpIsAClockJumpNotHoursOfLostSamples() async throws {
        let h = try CoreHarness("clock-forward")
        let t = Self.now
        let slow = Self.now - 7200  // the device's clock is two hours slow
        #expect(h.send(start: slow, now: t + 0.3).ok)
        #expect(h.send(start: slow + 0.25, now: t + 0.55).ok)
        // NTP sets it two hours forward; 0.25 s passed.
        let jumped = t + 0.5
        let first = h.send(start: jumped, now: t + 0.8)
        #expect(first.ok == false)
        #expect(first.error?.contains("the sensor's clock jumped forward") == true)
        #expect(h.send(start: jumped + 0.25, now: t + 1.05).ok == false)
        #expect(h.send(start: jumped + 0.5, now: t + 1.3).ok)
        let status = try #require(h.status(now: t + 2))
        #expect(status.samplesLost == 0, "a clock jump is not a gap")
        #expect(status.clockJumps == 1)
        #expect((status.lastClockJumpSeconds ?? 0) > 7000)
        await h.close()
    }

    @Test func aSingleStrayFrameCostsOneFrame() async throws {
        let h = try CoreHarness("clock-stray")
        let t = Self.now
        #expect(h.send(start: t, now: t + 0.3).ok)
        #expect(h.send(start: t - 500, now: t + 0.55).ok == false, "one frame with a wrong time")
        #expect(h.send(start: t + 0.25, now: t + 0.55).ok, "the next one is on the stream's clock again")
        #expect(h.send(start: t - 499.5, now: t + 0.8).ok == false, "the stray frame's count started over")
        #expect(h.status(now: t + 1)?.clockJumps == 0)
        await h.close()
    }

    @Test func anOutageIsAGapNotAClockJump() async throws {
        let h = try CoreHarness("clock-outage")
        let t = Self.now - 4000
        #expect(h.send(start: t, now: t + 0.3).ok)
        // Out of range for an hour: stream and wall clock moved together.
        #expect(h.send(start: t + 3600.25, now: t + 3600.55).ok)
        let status = try #require(h.status(now: t + 3601))
        #expect(status.clockJumps == 0)
        #expect(status.samplesLost == 360_000)
        await h.close()
    }
}
