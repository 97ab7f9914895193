import Foundation
import SpasmSchema
import Testing

@testable import SpasmStore

@Suite("Store: fast body decoding")
struct BodyDecoderTests {
    func envelope<Body: MessageBody>(_ body: Body) throws -> Data {
        try WireCodec.encodeEnvelope(
            Envelope(
                header: EnvelopeHeader(type: Body.messageType, source: "s", epoch: 1, seq: 2, time: 3),
                body: body))
    }

    @Test func theFrameScannerAgreesWithJSONDecoder() throws {
        let frames = [
            SensorFrame(
                sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3, unit: .g,
                firstSampleTime: 1_764_072_000.25, sampleCount: 50, producerSeq: 9_007_199_254_740_993),
            SensorFrame(
                sensorId: "calf-emg", kind: .emg, placement: .leftCalf, sampleRate: 1000, channels: 1, unit: .millivolts,
                firstSampleTime: 1e9 + 1.0 / 3.0, sampleCount: 100),
        ]
        for frame in frames {
            let data = try envelope(frame)
            let range = try #require(BodyDecoder.bodyRange(data))
            #expect(FlatJSON.withMembers(data[range]) { SensorFrame(flat: $0) } == frame)
            #expect(try BodyDecoder().frame(data) == frame)
        }
        // An escaped sensor id is read too, with the same result as JSONDecoder.
        let odd = SensorFrame(
            sensorId: "a\"b", kind: .imu, placement: .back, sampleRate: 50, channels: 3, unit: .g,
            firstSampleTime: 1, sampleCount: 1)
        let data = try envelope(odd)
        let range = try #require(BodyDecoder.bodyRange(data))
        #expect(FlatJSON.withMembers(data[range]) { SensorFrame(flat: $0) } == odd)
        #expect(try BodyDecoder().frame(data) == odd)
        // A body the reader refuses (a fractional channel count) is left to JSONDecoder, which refuses it too.
        let bad = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"channels\":3", with: "\"channels\":3.5").utf8)
        #expect(throws: (any Error).self) { try BodyDecoder().frame(bad) }
    }

    @Test func bodiesDecodeFromTheirSlice() throws {
        let alert = Alert(kind: "fall", severity: .critical, groupKey: "g", title: "t \"quoted\" body", message: "m", at: 5)
        #expect(try BodyDecoder().decode(Alert.self, envelope(alert)) == alert)
        #expect(throws: (any Error).self) { try BodyDecoder().decode(Alert.self, Data("{}".utf8)) }
    }
}
