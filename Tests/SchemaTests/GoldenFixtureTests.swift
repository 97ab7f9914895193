import Foundation
import Testing

@testable import SpasmSchema

/// The wire format cannot drift silently: each message encodes to exactly the bytes in
/// Fixtures/, and those bytes decode back. Regenerate deliberately with
/// `SPASMWATCH_WRITE_FIXTURES=1 swift test --filter GoldenFixture` and say why in the commit.
@Suite("Golden wire fixtures")
struct GoldenFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func check<Body: MessageBody>(_ name: String, _ body: Body) throws {
        let encoded = try WireCodec.encodeEnvelope(Envelope(header: Samples.header(Body.messageType), body: body))
        let url = Self.fixtures.appendingPathComponent("\(name).json")
        if ProcessInfo.processInfo.environment["SPASMWATCH_WRITE_FIXTURES"] == "1" {
            try (encoded + Data("\n".utf8)).write(to: url)
        }
        let golden = try Data(contentsOf: url).dropLast()  // trailing newline
        #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: golden, as: UTF8.self), "\(name) drifted")
        #expect(try WireCodec.decode(Body.self, from: Data(golden)).body == body)
    }

    @Test func sensorFrame() throws { try check("sensor.frame", Samples.frame) }
    @Test func heartbeat() throws { try check("heartbeat", Samples.heartbeat) }
    @Test func storedReceipt() throws { try check("stored", Samples.receipt) }
    @Test func diaryEntry() throws { try check("manual.entry", Samples.entry) }
    @Test func episode() throws { try check("episode", Samples.episode) }
    @Test func alert() throws { try check("alert", Samples.alert) }
    @Test func acknowledgement() throws { try check("acknowledgement", Samples.acknowledgement) }
    @Test func delivery() throws { try check("delivery", Samples.delivery) }
}

/// The hand-written hot-path encoders write exactly what JSONEncoder writes.
@Suite("Fast JSON writers")
struct FastJSONTests {
    @Test func headerAndFrameMatchJSONEncoder() throws {
        let encoder = WireCodec.encoder()
        for time in [1_764_072_000.25, 1_764_072_000, 0.1, 1e-7, 123_456_789.123_456_7] {
            var header = Samples.header("sensor.frame")
            header.time = time
            header.source = "we\"ird\\name\n"
            let viaEncoder = try encoder.encode(header)
            var fast = try #require(header.fastJSONPrefix())
            fast.raw("}")
            #expect(String(decoding: fast.bytes, as: UTF8.self) == String(decoding: viaEncoder, as: UTF8.self))
            var frame = Samples.frame
            frame.firstSampleTime = time
            frame.sampleRate = 1000
            #expect(frame.fastJSON().map { String(decoding: $0, as: UTF8.self) } == String(decoding: try encoder.encode(frame), as: UTF8.self))
            frame.producerSeq = nil
            frame.sampleRate = 99.5
            #expect(frame.fastJSON().map { String(decoding: $0, as: UTF8.self) } == String(decoding: try encoder.encode(frame), as: UTF8.self))
        }
    }
}

extension FastJSONTests {
    @Test func producerRepliesMatchJSONEncoder() throws {
        let encoder = WireCodec.encoder()
        for reply in [
            ProducerReply(ok: true, sensorId: "ankle-r", accepted: 50), ProducerReply(ok: true, sensorId: "a", accepted: 1, seq: 41),
            ProducerReply(ok: false, error: "sampleRate 5000 is outside 500–2000 Hz for emg", field: "sampleRate", reason: "range"),
        ] {
            #expect(String(decoding: reply.fastJSON(), as: UTF8.self) == String(decoding: try encoder.encode(reply), as: UTF8.self))
        }
    }

    @Test func producerFramesMatchJSONEncoder() throws {
        let encoder = WireCodec.encoder()
        let frames = [
            ProducerFrame(
                sensorId: "ankle-r", kind: "imu", placement: "right-ankle", sampleRate: 100, channels: 3, unit: "g",
                firstSampleTime: 1_764_072_000.25, sampleCount: 50, producer: "swift-sdk", seq: 7),
            ProducerFrame(
                sensorId: "calf \"1\"", kind: "emg", placement: "left-calf", sampleRate: 1000, unit: "uV",
                samples: [0, -1.5, 1e-7, 123.25]),
        ]
        for frame in frames {
            let fast = try #require(frame.fastJSON())
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: try encoder.encode(frame), as: UTF8.self))
        }
    }
}
