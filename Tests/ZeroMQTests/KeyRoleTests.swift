import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmTestSupport
import Testing
import ZeroMQ

/// The ZAP handler's decision per role and domain, and the move of flat keys (issue 12, point 7).
struct KeyRoleTests {
    func key(_ name: String, _ role: KeyRole, _ k: String) -> AllowedKey {
        AllowedKey(name: name, role: role, publicKey: k, file: URL(fileURLWithPath: "/dev/null"))
    }

    @Test func eachRoleIsAdmittedOnlyToItsDomains() {
        let allowed = [key("wearable", .producer, "P"), key("phone", .consumer, "C"), key("notify", .service, "S")]
        let table: [(String, String, Bool)] = [
            ("P", ZAPDomain.producers, true), ("P", ZAPDomain.busPublish, false), ("P", ZAPDomain.busSubscribe, false),
            ("C", ZAPDomain.producers, false), ("C", ZAPDomain.busPublish, false), ("C", ZAPDomain.busSubscribe, true),
            ("S", ZAPDomain.producers, true), ("S", ZAPDomain.busPublish, true), ("S", ZAPDomain.busSubscribe, true),
        ]
        for (k, domain, admitted) in table {
            let verdict = ZAPHandler.decide(key: k, domain: domain, allowed: allowed)
            #expect((verdict.refusal == nil) == admitted, "\(k) on \(domain)")
            #expect(verdict.name != nil, "a known key is named in the reply")
        }
        let refused = ZAPHandler.decide(key: "P", domain: ZAPDomain.busSubscribe, allowed: allowed)
        #expect(refused.refusal == "key 'wearable' is a producer key; bus-subscribe takes consumer or service keys")
        #expect(ZAPHandler.decide(key: "X", domain: ZAPDomain.producers, allowed: allowed) == (nil, "client key not allowed"))
        #expect(ZAPHandler.decide(key: "S", domain: "spasmwatch", allowed: allowed).refusal != nil, "an unknown domain admits nobody")
    }

    @Test func flatKeysBecomeServiceKeysAndKeysCanBeIssuedAndRevoked() throws {
        let root = try TestSupport.temporaryHome("keyroles")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = DataHome(root: root)
        let flat = KeyAllowlist.directory(home: home)
        try FileManager.default.createDirectory(at: flat, withIntermediateDirectories: true)
        let old = try CurveKeys.generate()
        try old.publicKey.write(to: flat.appendingPathComponent("laptop.public"), atomically: false, encoding: .utf8)
        #expect(try KeyAllowlist.migrate(home: home, logger: Logger(label: "test")) == ["laptop"])
        #expect(KeyAllowlist.keys(home: home).map { "\($0.name):\($0.role)" } == ["laptop:service"])

        let (made, secret) = try KeyAllowlist.issue(name: "calf", role: .producer, home: home)
        #expect(try CurveKeys.publicKey(forSecret: secret) == made.publicKey)
        #expect(throws: SpasmError.self) { try KeyAllowlist.issue(name: "laptop", role: .consumer, home: home) }
        #expect(throws: SpasmError.self) { try KeyAllowlist.issue(name: "../x", role: .producer, home: home) }
        #expect(try KeyAllowlist.revoke(name: "calf", home: home).role == .producer)
        #expect(KeyAllowlist.keys(home: home).map(\.name) == ["laptop"])
        #expect(!FileManager.default.fileExists(atPath: KeyAllowlist.issuedSecret(home: home, name: "calf").path))
    }

    @Test func aServiceKeySpeaksForItsOwnSourceAndReservedTopicsOnlyForItsService() {
        let allowed: [(key: String?, topic: String, source: String, refusal: String?)] = [
            ("detect", "alert.critical", "detect", nil),
            ("detect", "episode.fall", "detect-1", nil),
            ("notify", "alert.warning", "notify", nil),
            ("store", "stored.manual", "store", nil),
            ("manual", "manual.entry", "manual", nil),
            ("cli", "manual.entry", "demo", nil),
            ("sensor", "sensor.frame.ankle-r", "sensor", nil),
            ("bus", "heartbeat.spasmwatch-bus", "bus", nil),
            ("my-consumer", "heartbeat.my-consumer", "my-consumer", nil),
            ("my-consumer", "myapp.status", "my-consumer-2", nil),
            ("my-consumer", "alert.critical", "detect", "source"),
            ("my-consumer", "manual.entry", "manual", "source"),
            ("my-consumer", "alert.critical", "my-consumer", "topic"),
            ("my-consumer", "stored.manual", "my-consumer", "topic"),
            ("my-consumer", "manual.entry", "my-consumer", "topic"),
            ("my-consumer", "sensor.frame.x", "my-consumer", "topic"),
            ("my-consumer", "heartbeat.spasmwatch-store", "my-consumer", "topic"),
            ("store", "heartbeat.spasmwatch-detect", "store", "topic"),
            ("detect", "stored.manual", "detect", "topic"),
            ("local", "alert.critical", "local", "topic"),
            ("my", "x", "my-consumer", nil),
            ("my", "x", "myconsumer", "source"),
            (nil, "x", "x", "no-key"),
        ]
        for row in allowed {
            #expect(
                SourceBinding.check(key: row.key, topic: row.topic, source: row.source)?.reason == row.refusal,
                "\(row.key ?? "-") \(row.topic) \(row.source)")
        }
        #expect(
            SourceBinding.check(key: "my-consumer", topic: "alert.critical", source: "detect")?.message
                == "key 'my-consumer' may not send as source 'detect'; its envelopes must carry source 'my-consumer' or 'my-consumer-…'")
    }

    @Test func aProducerKeyIsBoundToItsSensorsAndOwnServiceKeysAreMadeOnce() throws {
        let root = try TestSupport.temporaryHome("keybind")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = DataHome(root: root)
        _ = try KeyAllowlist.issue(name: "legs", role: .producer, home: home, sensors: ["ankle-l", "ankle-r", "ankle-l"])
        _ = try KeyAllowlist.issue(name: "calf", role: .producer, home: home)
        _ = try KeyAllowlist.issue(name: "gateway", role: .service, home: home)
        #expect(KeyAllowlist.producerBinding(home: home, name: "legs") == ["ankle-l", "ankle-r"])
        #expect(KeyAllowlist.producerBinding(home: home, name: "calf") == ["calf"])
        #expect(KeyAllowlist.producerBinding(home: home, name: "gateway") == nil, "a service key may send any sensor id")
        #expect(KeyAllowlist.producerBinding(home: home, name: "gone") == [])
        #expect(throws: SpasmError.self) { try KeyAllowlist.issue(name: "hub", role: .consumer, home: home, sensors: ["x"]) }
        #expect(throws: SpasmError.self) { try KeyAllowlist.issue(name: "bad", role: .producer, home: home, sensors: ["a b"]) }
        _ = try KeyAllowlist.revoke(name: "legs", home: home)
        #expect(!FileManager.default.fileExists(atPath: KeyAllowlist.sensorsFile(home: home, name: "legs").path))

        let first = try BusSecurity.load(home: home, key: "store")
        let again = try BusSecurity.load(home: home, key: "store")
        #expect(first.note != nil && again.note == nil, "made once, then loaded")
        #expect(first.clientPublicKey == again.clientPublicKey && first.keyName == "store")
        #expect(KeyAllowlist.keys(home: home).contains { $0.name == "store" && $0.role == .service && $0.publicKey == first.clientPublicKey })
        let mode =
            try FileManager.default.attributesOfItem(atPath: KeyAllowlist.issuedSecret(home: home, name: "store").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try BusSecurity.load(home: home, key: "detect").clientPublicKey != first.clientPublicKey)
    }
}
