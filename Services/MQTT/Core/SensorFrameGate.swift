import Foundation
import SpasmErrors
import SpasmIngestion
import SpasmSchema

/// DIY sensors over MQTT (docs/plug-in-a-sensor.md, "2d. MQTT"): a device publishes the
/// producer endpoint's JSON frame on `spasmwatch/sensor/<sensorId>/frame` (`mqtt.topicPrefix`
/// in place of `spasmwatch`). The broker's ACL
/// (`pattern write spasmwatch/sensor/%u/frame`) lets a user write only the topic of its own
/// name, so the topic's sensor id is the device's authenticated identity: a frame whose
/// `sensorId` differs is refused. The frame is checked by the producer endpoint's own
/// `FrameValidator` (the same words), then forwarded there; a refusal goes back on
/// `<prefix>/sensor/<sensorId>/error`.
public enum SensorFrameGate {
    /// `prefix` is `mqtt.topicPrefix` (default `spasmwatch`), as for every other topic.
    public static func frameFilter(prefix: String = "spasmwatch") -> String { "\(prefix)/sensor/+/frame" }

    public static func errorTopic(_ sensorId: String, prefix: String = "spasmwatch") -> String { "\(prefix)/sensor/\(sensorId)/error" }

    /// The sensor id in `<prefix>/sensor/<sensorId>/frame`; nil for any other topic.
    public static func sensorId(topic: String, prefix: String = "spasmwatch") -> String? {
        guard topic.hasPrefix(prefix + "/") else { return nil }
        let parts = topic.dropFirst(prefix.utf8.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sensor", parts[2] == "frame" else { return nil }
        return String(parts[1])
    }

    public enum Outcome: Sendable, Equatable {
        /// What the producer endpoint gets: the frame's JSON and its binary Float32 samples
        /// (empty when the samples are the JSON array).
        case forward(json: Data, binary: Data)
        case refuse(ProducerReply)
    }

    /// Checks one MQTT payload for the sensor its topic names. `samples` may be the JSON
    /// array, or a string of base64 little-endian Float32 (then `sampleCount` is required,
    /// as for a binary frame over ZeroMQ). Work is bounded by `maxBytes` (`sensor.maxFrameBytes`).
    public static func check(topicSensorId: String, payload: Data, maxBytes: Int, now: Double = Date().timeIntervalSince1970) -> Outcome {
        guard !topicSensorId.isEmpty, topicSensorId.utf8.count <= 64, topicSensorId.utf8.allSatisfy(FrameValidator.isSensorIdByte) else {
            return .refuse(
                ProducerReply(
                    ok: false,
                    error:
                        "the topic's sensor id \(EchoText.quoted(topicSensorId)) is not allowed: use \(FrameValidator.sensorIdPattern) (spasmwatch/sensor/<sensorId>/frame)",
                    field: "sensorId", reason: "field"))
        }
        var json = payload
        var binary: Data?
        if payload.count <= maxBytes, let base64 = base64Samples(payload) {
            guard let samples = Data(base64Encoded: base64.text) else {
                return .refuse(
                    ProducerReply(
                        ok: false,
                        error: "samples as a string must be base64 of little-endian Float32 values (channels interleaved), with sampleCount",
                        field: "samples", reason: "samples"))
            }
            json = base64.rest
            binary = samples
        }
        let frame: ValidFrame
        do {
            frame = try FrameValidator.validate(json: json, binary: binary, maxBytes: maxBytes, now: now)
        } catch {
            return .refuse(ProducerReply(rejection: error))
        }
        guard frame.sensorId == topicSensorId else {
            return .refuse(
                ProducerReply(
                    ok: false,
                    error:
                        "sensorId \(EchoText.quoted(frame.sensorId)) is not this topic's sensor: a frame on spasmwatch/sensor/\(topicSensorId)/frame must say \"sensorId\":\"\(topicSensorId)\"",
                    field: "sensorId", reason: "sensor-binding", sensorId: topicSensorId))
        }
        return .forward(json: json, binary: binary ?? Data())
    }

    /// When `samples` is a string: its text and the frame's JSON without it.
    static func base64Samples(_ payload: Data) -> (text: String, rest: Data)? {
        // Only a frame that mentions a string for samples is parsed here (the JSON array goes
        // to the validator untouched).
        guard let key = payload.range(of: Data("\"samples\"".utf8)),
            payload[key.upperBound...].first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: ":") && $0 != 10 && $0 != 13 && $0 != 9 })
                == UInt8(ascii: "\""),
            var object = (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any],
            let text = object["samples"] as? String
        else { return nil }
        object["samples"] = nil
        guard let rest = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else { return nil }
        return (text, rest)
    }
}
