import Foundation
import SpasmConfig
import SpasmErrors
import SpasmNotify
import SpasmTestSupport
import Testing

/// The rules file: the default without one, and clear errors for mistakes.
@Suite("Notification rules")
struct RulesTests {
    static func home() throws -> DataHome {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-rules-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return DataHome(root: dir)
    }

    @Test func withoutAFileThePersonGetsConsoleAndAJSONLinesFile() throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let rules = try NotifyRules.load(home: home, configuration: Configuration())
        #expect(rules.receivers.map(\.name) == ["me"])
        #expect(rules.receivers[0].channels.map(\.type) == [.console, .file])
    }

    @Test func aRulesFileIsReadAndChecked() throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        let json = """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "console"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "http://127.0.0.1:1/x", "format": "ntfy"}]}],
             "routes": [{"match": {"severities": ["critical"]}, "receivers": ["me", "anna"]}, {"receivers": ["me"]}],
             "quietHours": {"start": "22:00", "end": "07:00"}, "escalateAfterSeconds": 30}
            """
        try json.write(to: home.root.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
        var configuration = Configuration()
        configuration.timeZone = try TimeZoneSetting("Europe/Berlin")
        let setup = try NotifySetup(home: home, configuration: configuration)
        #expect(setup.rules.receivers.count == 2)
        #expect(setup.planner.escalateAfterSeconds == 30)
        #expect(setup.planner.quietHours == DailyWindow(start: "22:00", end: "07:00"))
        #expect(setup.planner.groupWaitSeconds == 60, "from notify.groupWaitSeconds")

        try #"{"receivers": [{"name": "me", "channels": [{"type": "console"}]}], "routes": [{"receivers": ["carer"]}]}"#
            .write(to: home.root.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: SpasmError.self) { try NotifyRules.load(home: home, configuration: Configuration()) }
        #expect(error?.description.contains("names receiver 'carer'") == true)

        try #"{"receivers": [{"name": "me", "channels": [{"type": "webhook"}]}], "routes": [{"receivers": ["me"]}]}"#
            .write(to: home.root.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
        let webhookError = #expect(throws: SpasmError.self) { try NotifyRules.load(home: home, configuration: Configuration()) }
        #expect(webhookError?.description.contains("needs \"url\"") == true)
    }

    @Test func theExampleRulesFileIsValid() throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(at: home.root) }
        var configuration = Configuration()
        configuration.notify.rulesFile = TestSupport.repositoryRoot.appendingPathComponent("examples/notify/notify.json").path
        let setup = try NotifySetup(home: home, configuration: configuration)
        #expect(setup.rules.receivers.map(\.name) == ["me", "anna", "ben"])
        #expect(setup.planner.quietHours == DailyWindow(start: "22:30", end: "07:00"))
    }

    /// Who else a fall can reach: only receivers that are not the person, on a route a fall
    /// can take (not hidden behind a catch-all route).
    @Test func caregiversAreTheOthersAFallCanReach() {
        #expect(NotifyRules.standard(person: "me").caregivers.isEmpty)
        #expect(NotifyRules.noCaregiverWarning == "No caregiver is set up: a fall reaches only you.")
        let console = [ChannelSpec(type: .console)]
        let rules = NotifyRules(
            receivers: [
                .init(name: "me", channels: console), .init(name: "anna", channels: console),
                .init(name: "ben", channels: console), .init(name: "nurse", channels: console),
                .init(name: "sam", isPerson: true, channels: console),
            ],
            routes: [
                .init(match: .init(kinds: ["phasic"]), receivers: ["nurse"]),
                .init(match: .init(severities: [.critical], sites: [.leftLeg]), receivers: ["sam", "ben"], continue: true),
                .init(match: .init(minSeverity: .warning), receivers: ["me", "anna", "sam"]),
                .init(receivers: ["nurse"]),
            ])
        #expect(rules.caregivers == ["ben", "anna"], "the nurse gets spasms only, and the catch-all comes after a route that takes every fall")
        #expect(rules.caregivers(person: "sam") == ["ben", "me", "anna"], "for person sam, a receiver named me is a caregiver")
    }

    @Test func unknownTimeZoneIsAnError() {
        // Checked once, when the configuration loads, the same way for every service.
        #expect(throws: SpasmError.self) { try TimeZoneSetting("Mars/Olympus") }
        let home = DataHome(root: FileManager.default.temporaryDirectory.appendingPathComponent("tz-\(UUID().uuidString)"))
        #expect(throws: SpasmError.self) {
            try ConfigurationLoader.load(home: home, environment: [:], overrides: ["timeZone=Mars/Olympus"])
        }
    }
}
