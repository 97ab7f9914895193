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

    static func stored(_ kind: EpisodeKind, detectedAt: Double, person: String = "me", test: Bool? = nil) -> StoredEpisode {
        StoredEpisode(
            person: person, episodeId: UUID(), kind: kind, sensorId: "calf-r", site: .rightCalf, start: detectedAt - 0.5, end: nil,
            detectedAt: detectedAt, confidence: 0.8, peak: nil, dominantFrequencyHz: nil, confirmed: nil, test: test)
    }

    static func eventIds(_ out: [MQTTOut]) -> [String] {
        out.filter { $0.topic.hasSuffix("/event") }.compactMap {
            ((try? JSONSerialization.jsonObject(with: $0.payload)) as? [String: Any])?["episode_id"] as? String
        }
    }

    @Test("after a restart, today's stored spasms count again (not test sensors', not another person's, not yesterday's, not falls)")
    func spasmsTodayFromTheStore() {
        var bridge = Self.bridge()
        let now = 2 * 86_400 + 3600.0  // 01:00 UTC on day 2
        let stored = [
            Self.stored(.phasic, detectedAt: now - 1800), Self.stored(.clonus, detectedAt: now - 600), Self.stored(.fall, detectedAt: now - 500),
            Self.stored(.tonic, detectedAt: now - 300, test: true), Self.stored(.phasic, detectedAt: now - 200, person: "someone-else"),
            Self.stored(.phasic, detectedAt: now - 7200),
        ]
        let out = bridge.recover(episodes: stored, catchUpFrom: nil, now: now)
        #expect(out == [MQTTOut(topic: "spasmwatch/me/spasms_today/state", text: "2", retain: true)])
        #expect(Self.eventIds(out).isEmpty, "the first start fires nothing from before")
        // One of them heard live as well (it was on the bus while the store answered): counted once, fired once.
        let live = EpisodeEvent(
            episodeId: stored[1].episodeId, phase: .onset, kind: .clonus, sensorId: "calf-r", site: .rightCalf, start: now - 600.5,
            detectedAt: now - 600, confidence: 0.8)
        #expect(bridge.take(live, person: "me", now: now).filter { $0.topic.hasSuffix("/event") }.isEmpty == false)
        #expect(bridge.take(live, person: "me", now: now).isEmpty, "the same onset again fires nothing")
        #expect(bridge.everything().contains(MQTTOut(topic: "spasmwatch/me/spasms_today/state", text: "2", retain: true)))
    }

    @Test("episodes detected while the service was down fire late, once; those fired before the restart do not fire again")
    func lateFirings() throws {
        let now = 10 * 86_400 + 43_200.0
        let before = Self.stored(.phasic, detectedAt: now - 900)
        let whileDown = Self.stored(.fall, detectedAt: now - 300)
        let testFall = Self.stored(.fall, detectedAt: now - 200, test: true)
        var earlier = FiredEpisodes()
        earlier.delivered(FiredEpisodes.Firing(episodeId: before.episodeId, detectedAt: before.detectedAt))
        var bridge = Self.bridge()
        bridge.remember(fired: earlier)
        let from = try #require(FiringJournal.catchUpFrom(earlier, now: now))
        #expect(from == before.detectedAt - FiringJournal.slack)
        let out = bridge.recover(episodes: [before, whileDown, testFall], catchUpFrom: from, now: now)
        #expect(Self.eventIds(out) == [whileDown.episodeId.uuidString.lowercased()])
        let fall = try #require(out.first { $0.topic == "spasmwatch/me/fall/event" })
        let fields = try #require(try JSONSerialization.jsonObject(with: fall.payload) as? [String: Any])
        #expect(fields["late"] as? Bool == true)
        #expect(fall.firing == FiredEpisodes.Firing(episodeId: whileDown.episodeId, detectedAt: whileDown.detectedAt))
        #expect(Self.eventIds(bridge.recover(episodes: [before, whileDown], catchUpFrom: from, now: now)).isEmpty, "read back twice fires once")
        // A journal a day old reaches back one hour only.
        #expect(FiringJournal.catchUpFrom(FiredEpisodes(firedThrough: now - 86_400), now: now) == now - FiringJournal.catchUpWindow)
        #expect(FiringJournal.catchUpFrom(nil, now: now) == nil)
    }

    @Test("the journal keeps what the broker took across a restart, 0600; a garbled one is said and counts as none")
    func journalFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fired-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = FiringJournal(url: folder.appendingPathComponent("mqtt-fired.json"))
        #expect(journal.load().fired == nil && journal.load().problem == nil)
        var fired = FiredEpisodes(firedThrough: 100)
        let id = UUID()
        fired.delivered(FiredEpisodes.Firing(episodeId: id, detectedAt: 250))
        try journal.save(fired)
        let read = journal.load()
        #expect(read.fired == fired && read.fired?.firedThrough == 250 && read.fired?.contains(id) == true)
        let mode = try FileManager.default.attributesOfItem(atPath: journal.url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("{not json".utf8).write(to: journal.url)
        let garbled = journal.load()
        #expect(garbled.fired == nil)
        #expect(garbled.problem?.contains("mqtt-fired.json cannot be read") == true, "\(garbled.problem ?? "")")
    }
}
