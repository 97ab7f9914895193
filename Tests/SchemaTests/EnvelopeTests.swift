import Foundation
import SpasmErrors
import Testing

@testable import SpasmSchema

@Suite("Envelope and schema")
struct EnvelopeTests {
    func roundTrip<Body: MessageBody>(_ body: Body) throws -> Envelope<Body> {
        let envelope = Envelope(header: Samples.header(Body.messageType), body: body)
        let data = try WireCodec.encodeEnvelope(envelope)
        return try WireCodec.decode(Body.self, from: data)
    }

    @Test func everyMessageTypeRoundTrips() throws {
        #expect(try roundTrip(Samples.frame).body == Samples.frame)
        #expect(try roundTrip(Samples.heartbeat).body == Samples.heartbeat)
        #expect(try roundTrip(Samples.receipt).body == Samples.receipt)
        #expect(try roundTrip(Samples.entry).body == Samples.entry)
        #expect(try roundTrip(Samples.episode).body == Samples.episode)
        #expect(try roundTrip(Samples.alert).body == Samples.alert)
        #expect(try roundTrip(Samples.acknowledgement).body == Samples.acknowledgement)
        #expect(try roundTrip(Samples.delivery).body == Samples.delivery)
        let header = try roundTrip(Samples.alert).header
        #expect(header == Samples.header("alert"))
    }

    @Test func unknownSchemaVersionIsRejectedClearly() throws {
        var header = Samples.header("heartbeat")
        header.version = 2
        let data = try WireCodec.encodeEnvelope(Envelope(header: Samples.header("heartbeat"), body: Samples.heartbeat))
        let bumped = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"v\":1", with: "\"v\":2")
        #expect(throws: SpasmError.schemaUnsupportedVersion(2)) {
            try WireCodec.decode(Heartbeat.self, from: Data(bumped.utf8))
        }
        #expect(
            SpasmError.schemaUnsupportedVersion(2).description
                == "schema version 2 is not supported (this build speaks version 1)")
    }

    @Test func wrongTypeAndMissingFieldsSayWhatIsWrong() throws {
        let data = try WireCodec.encodeEnvelope(Envelope(header: Samples.header("heartbeat"), body: Samples.heartbeat))
        #expect(throws: SpasmError.schemaWrongType(expected: "alert", got: "heartbeat")) {
            try WireCodec.decode(Alert.self, from: data)
        }
        let noSource = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"source\":\"test-source\",", with: "")
        #expect(throws: SpasmError.schemaMalformed("missing required field 'source'")) {
            try WireCodec.decodeHeader(Data(noSource.utf8))
        }
        let badRate =
            #"{"v":1,"type":"sensor.frame","id":"6F1B8C2E-3D4A-4B5C-9E8F-0A1B2C3D4E5F","source":"s","epoch":1,"seq":0,"time":1,"person":"me","body":{"sensorId":"a","kind":"imu","placement":"left-calf","sampleRate":"fast","channels":3,"unit":"g","firstSampleTime":1,"sampleCount":1}}"#
        #expect(throws: SpasmError.schemaMalformed("field 'body.sampleRate' has the wrong type: expected a number")) {
            try WireCodec.decode(SensorFrame.self, from: Data(badRate.utf8))
        }
        #expect(throws: SpasmError.schemaMalformed("not valid JSON: Invalid value around character 1.")) {
            try WireCodec.decodeHeader(Data("{nope".utf8))
        }
    }

    @Test func bodySitesParseAndGroupByLimb() {
        #expect(BodySite(parsing: "Left Calf") == .leftCalf)
        #expect(BodySite(parsing: "right_upper_arm") == .rightUpperArm)
        #expect(BodySite(parsing: "elbow") == nil)
        #expect(BodySite.leftCalf.limb == .leftLeg)
        #expect(BodySite.rightWrist.limb == .rightArm)
        #expect(BodySite.back.limb == nil)
        #expect(BodySite.allCases.count == 2 * 13 + 3 + 4 + 1)
        #expect(BodySite.leftUpperArm.displayName == "left upper arm")
    }

    @Test func samplesPackAsLittleEndianFloat32() {
        let samples: [Float] = [1.0, -0.5, 0.25, .greatestFiniteMagnitude]
        let data = SamplePacking.pack(samples)
        #expect(data.count == 16)
        #expect(Array(data.prefix(4)) == [0x00, 0x00, 0x80, 0x3F])  // 1.0f little-endian
        #expect(SamplePacking.unpack(data) == samples)
    }

    @Test func severitiesAreOrdered() {
        #expect(AlertSeverity.info < .warning)
        #expect(AlertSeverity.warning < .critical)
    }
}
