import Foundation
import Testing

@testable import SpasmSchema

/// `"test": true` on frames, episodes and producer frames: the hand-written readers and
/// writers agree with JSONDecoder and JSONEncoder, and refuse what they would read otherwise.
@Suite("The test-sensor flag on the wire")
struct TestFlagTests {
    @Test func framesWithTheFlagMatchJSONEncoderAndJSONDecoder() throws {
        let encoder = WireCodec.encoder()
        for flag in [true, false, nil] as [Bool?] {
            var frame = Samples.frame
            frame.test = flag
            let fast = try #require(frame.fastJSON())
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: try encoder.encode(frame), as: UTF8.self))
            let data = try WireCodec.encodeEnvelope(Envelope(header: Samples.header(SensorFrame.messageType), body: frame))
            let read = FlatJSON.withMembers(data) { members in members.value("body")?.members.flatMap { SensorFrame(flat: $0) } }
            #expect(read == frame)
            #expect(try WireCodec.decode(SensorFrame.self, from: data).body == frame)

            var producer = ProducerFrame(sensorId: "a", kind: "imu", placement: "left-wrist", sampleRate: 50, unit: "g", seq: 3)
            producer.test = flag
            #expect(producer.fastJSON().map { String(decoding: $0, as: UTF8.self) } == String(decoding: try encoder.encode(producer), as: UTF8.self))
        }
    }

    @Test func episodesWithTheFlagMatchJSONDecoder() throws {
        var episode = Samples.episode
        episode.test = true
        let body = try WireCodec.encode(episode)
        #expect(String(decoding: body, as: UTF8.self).contains(#""test":true"#))
        #expect(FlatJSON.withMembers(body) { EpisodeEvent(flat: $0) } == episode)
        #expect(try JSONDecoder().decode(EpisodeEvent.self, from: body) == episode)
    }

    @Test func whatIsNotABoolIsLeftToJSONDecoder() throws {
        let frame = try String(decoding: WireCodec.encode(Samples.frame), as: UTF8.self)
        for (text, expected) in [(#","test":null}"#, nil), (#","test":false}"#, false as Bool?)] {
            let data = Data((frame.dropLast() + text).utf8)
            let read = FlatJSON.withMembers(data) { SensorFrame(flat: $0) }
            #expect(read?.test == expected)
            #expect(read == (try JSONDecoder().decode(SensorFrame.self, from: data)))
        }
        for text in [#","test":1}"#, #","test":"true"}"#] {
            let data = Data((frame.dropLast() + text).utf8)
            #expect(FlatJSON.withMembers(data) { SensorFrame(flat: $0) } == nil, "\(text): the fast reader refuses")
            #expect((try? JSONDecoder().decode(SensorFrame.self, from: data)) == nil, "\(text): and so does JSONDecoder")
        }
    }
}
