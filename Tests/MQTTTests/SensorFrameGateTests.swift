import Foundation
import SpasmHomeAssistant
import SpasmSchema
import Testing

/// DIY sensors over MQTT: the topic's sensor id, the producer endpoint's validator and words,
/// samples as base64 Float32.
@Suite("Sensor frames over MQTT")
struct SensorFrameGateTests {
    static let now = 1_780_000_000.0
    static func frame(_ id: String = "esp32-calf", samples: String = "[0,0,1,0,0,1]", extra: String = "") -> Data {
        Data(
            #"{"v":1,"sensorId":"\#(id)","kind":"imu","placement":"left-calf","sampleRate":50,"unit":"g"\#(extra),"samples":\#(samples)}"#.utf8)
    }

    @Test func topics() {
        #expect(SensorFrameGate.sensorId(topic: "spasmwatch/sensor/esp32-calf/frame") == "esp32-calf")
        #expect(SensorFrameGate.sensorId(topic: "spasmwatch/sensor/esp32-calf/error") == nil)
        #expect(SensorFrameGate.sensorId(topic: "spasmwatch/me/alarm/acknowledge") == nil)
        #expect(SensorFrameGate.errorTopic("esp32-calf") == "spasmwatch/sensor/esp32-calf/error")
        // mqtt.topicPrefix moves the sensor topics with the others.
        #expect(SensorFrameGate.frameFilter(prefix: "flat-2") == "flat-2/sensor/+/frame")
        #expect(SensorFrameGate.sensorId(topic: "flat-2/sensor/esp32-calf/frame", prefix: "flat-2") == "esp32-calf")
        #expect(SensorFrameGate.sensorId(topic: "spasmwatch/sensor/esp32-calf/frame", prefix: "flat-2") == nil)
        #expect(SensorFrameGate.sensorId(topic: "home/a/sensor/esp32-calf/frame", prefix: "home/a") == "esp32-calf")
        #expect(SensorFrameGate.errorTopic("esp32-calf", prefix: "flat-2") == "flat-2/sensor/esp32-calf/error")
    }

    @Test func aJSONFrameIsForwardedUntouched() {
        let payload = Self.frame()
        #expect(
            SensorFrameGate.check(topicSensorId: "esp32-calf", payload: payload, maxBytes: 1 << 18, now: Self.now)
                == .forward(json: payload, binary: Data()))
    }

    @Test func base64SamplesBecomeTheBinaryPart() throws {
        let values: [Float] = [0, 0.5, 1, -0.25, 0, 0.98]
        let packed = values.withUnsafeBytes { Data($0) }
        let payload = Self.frame(samples: "\"\(packed.base64EncodedString())\"", extra: #","sampleCount":2"#)
        guard
            case .forward(let json, let binary) = SensorFrameGate.check(
                topicSensorId: "esp32-calf", payload: payload, maxBytes: 1 << 18, now: Self.now)
        else {
            Issue.record("refused")
            return
        }
        #expect(binary == packed)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["samples"] == nil && object["sampleCount"] as? Int == 2 && object["sensorId"] as? String == "esp32-calf")
    }

    @Test func refusalsSayWhatIsWrong() {
        func refusal(_ topic: String, _ payload: Data, max: Int = 1 << 18) -> ProducerReply? {
            if case .refuse(let reply) = SensorFrameGate.check(topicSensorId: topic, payload: payload, maxBytes: max, now: Self.now) { return reply }
            return nil
        }
        let other = refusal("esp32-calf", Self.frame("imu-wrist"))
        #expect(other?.reason == "sensor-binding" && other?.field == "sensorId")
        #expect(other?.error?.contains("a frame on spasmwatch/sensor/esp32-calf/frame must say \"sensorId\":\"esp32-calf\"") == true)
        // The validator's own words and reason.
        let rate = refusal("esp32-calf", Data(String(decoding: Self.frame(), as: UTF8.self).replacingOccurrences(of: "50", with: "5000").utf8))
        #expect(rate?.error == "sampleRate 5000 is outside 25–200 Hz for imu" && rate?.reason == "range")
        #expect(refusal("esp32-calf", Self.frame(), max: 64)?.reason == "size")
        #expect(refusal("esp32-calf", Self.frame(samples: "\"not base64!\"", extra: #","sampleCount":2"#))?.reason == "samples")
        #expect(refusal("esp32 calf", Self.frame())?.field == "sensorId")
    }
}
