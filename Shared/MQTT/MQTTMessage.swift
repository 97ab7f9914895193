import Foundation

/// One MQTT application message, in either direction.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: Data
    /// 0 (at most once), 1 (at least once) or 2 (exactly once).
    public var qos: Int32
    /// The broker keeps the last retained message per topic and hands it to every new
    /// subscriber; an empty retained payload deletes it.
    public var retain: Bool

    public init(topic: String, payload: Data, qos: Int32 = 1, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    public init(topic: String, text: String, qos: Int32 = 1, retain: Bool = false) {
        self.init(topic: topic, payload: Data(text.utf8), qos: qos, retain: retain)
    }

    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// What the client hands to async code, in the order it happened.
public enum MQTTEvent: Sendable, Equatable {
    /// Connected (first time or again): subscriptions are back; publish retained state again.
    case connected
    /// The connection was lost or refused; the client retries with backoff.
    case disconnected(reason: String)
    case message(MQTTMessage)
}
