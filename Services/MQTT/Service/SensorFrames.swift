import Foundation
import SpasmBus
import SpasmHomeAssistant
import SpasmMQTT
import SpasmProducer
import SpasmRuntime
import SpasmSchema

/// DIY sensors over MQTT: frames from `<mqtt.topicPrefix>/sensor/+/frame`, checked by
/// `SensorFrameGate` (the producer endpoint's validator, the topic's sensor id as the device's
/// identity), then forwarded to the producer endpoint through the SDK's `SensorForwarder`
/// with this service's own key; every refusal, ours or ingestion's, goes back on
/// `<mqtt.topicPrefix>/sensor/<sensorId>/error` in the producer endpoint's words.
final class SensorFrames: Sendable {
    let queue = HandoffQueue<(sensorId: String, message: MQTTMessage)>(capacity: 1_000)
    let forwarder: SensorForwarder
    let maxFrameBytes: Int
    /// `mqtt.topicPrefix`: errors go back on `<prefix>/sensor/<sensorId>/error`.
    let topicPrefix: String
    let counters: CounterSet
    /// Hands an error reply to the broker (the service's outgoing queue).
    let reply: @Sendable (MQTTOut) -> Void

    init(
        forwarder: SensorForwarder, maxFrameBytes: Int, topicPrefix: String, counters: CounterSet, reply: @escaping @Sendable (MQTTOut) -> Void
    ) {
        self.forwarder = forwarder
        self.maxFrameBytes = maxFrameBytes
        self.topicPrefix = topicPrefix
        self.counters = counters
        self.reply = reply
    }

    /// From the broker's reader: never waits (a full queue refuses the frame, counted).
    func take(_ message: MQTTMessage, sensorId: String) {
        counters.add("sensor_frames.received")
        if !queue.offer((sensorId, message)) {
            refuse(
                ProducerReply(
                    ok: false, error: "spasmwatch-mqtt has 1000 frames waiting for ingestion; send this frame again after a pause",
                    reason: ProducerReply.unavailable, sensorId: sensorId),
                sensorId: sensorId)
        }
    }

    /// Checks and forwards queued frames, a batch at a time, until `stop()`.
    func run() async {
        while let batch = await queue.nextBatch() {
            var forwarded: [(sensorId: String, json: Data, binary: Data)] = []
            for (sensorId, message) in batch {
                switch SensorFrameGate.check(topicSensorId: sensorId, payload: message.payload, maxBytes: maxFrameBytes) {
                case .forward(let json, let binary): forwarded.append((sensorId, json, binary))
                case .refuse(let answer): refuse(answer, sensorId: sensorId)
                }
            }
            let replies = await forwarder.send(forwarded.map { (json: $0.json, binary: $0.binary) })
            for (frame, answer) in zip(forwarded, replies) {
                if answer.ok {
                    counters.add("sensor_frames.forwarded")
                } else {
                    refuse(answer, sensorId: frame.sensorId)
                }
            }
        }
    }

    func refuse(_ answer: ProducerReply, sensorId: String) {
        counters.add("sensor_frames.rejected")
        counters.add("sensor_frames.rejected.\(answer.reason ?? "unknown")")
        // The id is one topic level (the filter's `+`), so the error topic is a valid name.
        reply(MQTTOut(topic: SensorFrameGate.errorTopic(sensorId, prefix: topicPrefix), payload: answer.fastJSON(), retain: false))
    }

    func stop() async {
        queue.close()
        await forwarder.stop()
    }
}
