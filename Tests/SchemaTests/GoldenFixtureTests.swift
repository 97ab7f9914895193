import Foundation
import Testing
@testable import SpasmSchema

/// The wire format cannot drift silently: each message encodes to exactly the bytes in
/// Fixtures/, and those bytes decode back. Regenerate deliberately with
/// `SPASMWATCH_WRITE_FIXTURES=1 swift test --filter GoldenFixture` and say why in the commit.
@Suite("Golden wire fixtures")
struct GoldenFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func check<Body: MessageBody>(_ name: String, _ body: Body) throws {
        let encoded = try WireCodec.encodeEnvelope(Envelope(header: Samples.header(Body.messageType), body: body))
        let url = Self.fixtures.appendingPathComponent("\(name).json")
        if ProcessInfo.processInfo.environment["SPASMWATCH_WRITE_FIXTURES"] == "1" {
            try (encoded + Data("\n".utf8)).write(to: url)
        }
        let golden = try Data(contentsOf: url).dropLast()  // trailing newline
        #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: golden, as: UTF8.self), "\(name) drifted")
        #expect(try WireCodec.decode(Body.self, from: Data(golden)).body == body)
    }

    @Test func sensorFrame() throws { try check("sensor.frame", Samples.frame) }
    @Test func heartbeat() throws { try check("heartbeat", Samples.heartbeat) }
    @Test func storedReceipt() throws { try check("stored", Samples.receipt) }
    @Test func diaryEntry() throws { try check("manual.entry", Samples.entry) }
    @Test func episode() throws { try check("episode", Samples.episode) }
    @Test func alert() throws { try check("alert", Samples.alert) }
    @Test func acknowledgement() throws { try check("acknowledgement", Samples.acknowledgement) }
    @Test func delivery() throws { try check("delivery", Samples.delivery) }
}
