import Foundation
import Logging
import SpasmBus
import SpasmConfig
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
        #expect(KeyAllowlist.keys(home: home) .map { "\($0.name):\($0.role)" } == ["laptop:service"])

        let (made, secret) = try KeyAllowlist.issue(name: "calf", role: .producer, home: home)
        #expect(try CurveKeys.publicKey(forSecret: secret) == made.publicKey)
        #expect(throws: KeyAllowlist.KeyError.self) { try KeyAllowlist.issue(name: "laptop", role: .consumer, home: home) }
        #expect(throws: KeyAllowlist.KeyError.self) { try KeyAllowlist.issue(name: "../x", role: .producer, home: home) }
        #expect(try KeyAllowlist.revoke(name: "calf", home: home).role == .producer)
        #expect(KeyAllowlist.keys(home: home).map(\.name) == ["laptop"])
        #expect(!FileManager.default.fileExists(atPath: KeyAllowlist.issuedSecret(home: home, name: "calf").path))
    }
}
