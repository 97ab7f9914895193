import Foundation
import SpasmConfig
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
        configuration.timeZone = "Europe/Berlin"
        let setup = try NotifySetup(home: home, configuration: configuration)
        #expect(setup.rules.receivers.count == 2)
        #expect(setup.planner.escalateAfterSeconds == 30)
        #expect(setup.planner.quietHours == DailyWindow(start: "22:00", end: "07:00"))
        #expect(setup.planner.groupWaitSeconds == 60, "from notify.groupWaitSeconds")

        try #"{"receivers": [{"name": "me", "channels": [{"type": "console"}]}], "routes": [{"receivers": ["carer"]}]}"#
            .write(to: home.root.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: NotifyConfigError.self) { try NotifyRules.load(home: home, configuration: Configuration()) }
        #expect(error?.description.contains("names receiver 'carer'") == true)

        try #"{"receivers": [{"name": "me", "channels": [{"type": "webhook"}]}], "routes": [{"receivers": ["me"]}]}"#
            .write(to: home.root.appendingPathComponent("notify.json"), atomically: true, encoding: .utf8)
        let webhookError = #expect(throws: NotifyConfigError.self) { try NotifyRules.load(home: home, configuration: Configuration()) }
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

    @Test func unknownTimeZoneIsAnError() {
        var configuration = Configuration()
        configuration.timeZone = "Mars/Olympus"
        #expect(throws: NotifyConfigError.self) { try HomeTime(configuration: configuration) }
    }
}
