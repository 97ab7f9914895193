import Foundation
import SpasmConfig
import SpasmHomeAssistant
import SpasmSchema
import SpasmVocabulary
import Testing

/// What the bus turns into for Home Assistant, without a broker.
@Suite("Home Assistant bridge")
struct HomeAssistantBridgeTests {
    static func bridge() -> HomeAssistantBridge {
        HomeAssistantBridge(discovery: HomeAssistantDiscovery(person: "me"), clock: HomeClock(timeZone: TimeZone(identifier: "UTC")!))
    }

    static func episode(_ kind: EpisodeKind, test: Bool? = nil, phase: EpisodeEvent.Phase = .onset) -> EpisodeEvent {
        EpisodeEvent(
            episodeId: UUID(), phase: phase, kind: kind, sensorId: "calf-r", site: .rightCalf, start: 1000, detectedAt: 1000, confidence: 0.8,
            test: test)
    }

    @Test("every config names its unique id after its topic, and carries a device and availability")
    func configs() throws {
        let out = Self.bridge().everything().filter { $0.topic.hasSuffix("/config") }
        #expect(out.count == 7)
        for message in out {
            let parts = message.topic.split(separator: "/")
            let object = try #require(try JSONSerialization.jsonObject(with: message.payload) as? [String: Any])
            #expect(object["unique_id"] as? String == String(parts[2]))
            #expect(object["availability_topic"] as? String == "spasmwatch/me/status")
            #expect(object["device"] != nil && message.retain)
        }
    }

    @Test("spasms fire the spasm event and count; falls fire the fall event; test sensors and ends fire nothing")
    func episodes() throws {
        var bridge = Self.bridge()
        let spasm = bridge.take(Self.episode(.clonus), person: "me", now: 1000)
        #expect(spasm.map(\.topic) == ["spasmwatch/me/spasm/event", "spasmwatch/me/spasms_today/state"])
        let fired = try #require(try JSONSerialization.jsonObject(with: spasm[0].payload) as? [String: Any])
        #expect(fired["event_type"] as? String == "clonus" && !spasm[0].retain)
        #expect(spasm[1].payload == Data("1".utf8))
        #expect(bridge.take(Self.episode(.fall), person: "me", now: 1001).map(\.topic) == ["spasmwatch/me/fall/event"])
        #expect(bridge.take(Self.episode(.fall, test: true), person: "me", now: 1002).isEmpty)
        #expect(bridge.take(Self.episode(.tonic, phase: .end), person: "me", now: 1003).isEmpty)
        #expect(bridge.take(Self.episode(.tonic), person: "someone-else", now: 1003).isEmpty)
        // A new day starts the count again.
        let nextDay = bridge.take(Self.episode(.phasic), person: "me", now: 1000 + 86_400)
        #expect(nextDay.last?.payload == Data("1".utf8))
    }

    @Test("a critical fall alert turns the alarm on until its acknowledgement")
    func alarm() {
        var bridge = Self.bridge()
        let alert = Alert(kind: "fall", severity: .critical, groupKey: "fall", title: "Possible fall", message: "m", at: 1)
        #expect(bridge.take(alert, person: "me").map(\.payload) == [Data("ON".utf8)])
        #expect(bridge.take(alert, person: "me").isEmpty, "the same alert re-sent is one")
        #expect(bridge.take(Alert(kind: "phasic", severity: .info, groupKey: "p", title: "t", message: "m", at: 1), person: "me").isEmpty)
        #expect(bridge.openFalls == [alert.alertId])
        #expect(bridge.take(Acknowledgement(alertId: alert.alertId, by: "anna", at: 2, via: "cli")).map(\.payload) == [Data("OFF".utf8)])
    }

    @Test("after a restart, the store's unacknowledged critical falls of this person turn the alarm on again; the rest do not")
    func recoveredAlarm() {
        var bridge = Self.bridge()
        let open = Alert(kind: "fall", severity: .critical, groupKey: "fall", title: "Possible fall", message: "m", at: 10)
        let answered = Alert(kind: "fall", severity: .critical, groupKey: "fall", title: "Possible fall", message: "m", at: 5)
        let test = Alert(kind: "fall", severity: .critical, groupKey: "fall", title: "Possible fall", message: "m", at: 6, test: true)
        let stored = [
            StoredAlert(person: "me", alert: open, acknowledgements: [], deliveryAttempts: 1, delivered: true),
            StoredAlert(
                person: "me", alert: answered, acknowledgements: [Acknowledgement(alertId: answered.alertId, by: "anna", at: 7, via: "cli")],
                deliveryAttempts: 1, delivered: true),
            StoredAlert(person: "me", alert: test, acknowledgements: [], deliveryAttempts: 0, delivered: false),
            StoredAlert(
                person: "someone-else", alert: Alert(kind: "fall", severity: .critical, groupKey: "f", title: "t", message: "m", at: 8),
                acknowledgements: [], deliveryAttempts: 0, delivered: false),
        ]
        #expect(bridge.recover(stored).map(\.payload) == [Data("ON".utf8)])
        #expect(bridge.openFalls == [open.alertId])
        #expect(bridge.everything().contains(MQTTOut(topic: "spasmwatch/me/alarm/state", text: "ON", retain: true)))
        #expect(bridge.recover(stored).isEmpty, "read back twice is still one open fall")
    }
}
