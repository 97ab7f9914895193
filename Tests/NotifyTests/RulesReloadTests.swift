import Foundation
import SpasmConfig
import SpasmNotify
import Testing

/// notify.json while notify runs: errors that say where, a bad file that changes nothing,
/// and a start with a bad file that still tells someone.
@Suite("Notification rules reload")
struct RulesReloadTests {
    static func problem(_ json: String) -> String? {
        do {
            _ = try NotifyRules.parse(Data(json.utf8), origin: "notify.json")
            return nil
        } catch { return "\(error)" }
    }

    @Test func aSyntaxErrorGivesLineAndColumn() {
        #expect(
            Self.problem("{\"receivers\": [\n  {\"name\": \"me\",, \"channels\": []}]}")
                == "notify.json: line 2, column 17: expected a field name in \"double quotes\", found ','")
        #expect(
            Self.problem("{\"receivers\": [],\n \"routes\": [{\"receivers\": [\"me\"]},]\n}")
                == "notify.json: line 2, column 35: expected another value after ',' (remove the last comma), found ']'")
        #expect(
            Self.problem("{\"receivers\": [\n")
                == "notify.json: line 2, column 1: expected a value (a string in \"double quotes\", a number, true, false, null, [ or {), found the end of the file"
        )
        #expect(Self.problem("{'receivers': []}") == "notify.json: line 1, column 2: expected a field name in \"double quotes\", found '''")
    }

    @Test func aValidationErrorGivesTheFieldPath() {
        let me = #"{"name": "me", "channels": [{"type": "console"}]}"#
        #expect(
            Self.problem(
                #"{"receivers": [\#(me), {"name": "anna", "channels": [{"type": "webhook", "url": "ntfy.sh/anna"}]}], "routes": [{"receivers": ["me"]}]}"#
            )
                == "notify.json: receivers[1].channels[0].url: 'ntfy.sh/anna' is not a URL starting with http:// or https://")
        #expect(
            Self.problem(#"{"receivers": [\#(me), {"name": "anna", "channels": [{"type": "webhook"}]}], "routes": [{"receivers": ["me"]}]}"#)
                == "notify.json: receivers[1].channels[0].url: missing: a webhook channel needs \"url\" starting with http:// or https://")
        #expect(
            Self.problem(#"{"receivers": [{"name": "me", "channels": [{"type": "sms"}]}], "routes": [{"receivers": ["me"]}]}"#)
                == "notify.json: receivers[0].channels[0].type: 'sms' is not allowed; use one of console, file, webhook, command")
        #expect(
            Self.problem(#"{"receivers": [{"name": "me", "isPerson": "yes", "channels": [{"type": "console"}]}], "routes": [{"receivers": ["me"]}]}"#)
                == "notify.json: receivers[0].isPerson: should be true or false")
        #expect(
            Self.problem(#"{"receivers": [\#(me)], "routes": [{"receivers": ["me", "carer"]}]}"#)
                == "notify.json: routes[0].receivers[1]: names receiver 'carer', which is not in receivers (me)")
        #expect(Self.problem(#"{"receivers": [\#(me)]}"#) == "notify.json: routes: missing (this field is required)")
        #expect(
            Self.problem(#"{"receivers": [\#(me)], "routes": [{"receivers": ["me"], "escalateAfterSeconds": 0}]}"#)
                == "notify.json: routes[0].escalateAfterSeconds: must be above 0")
        #expect(Self.problem(#"{"receivers": [\#(me)], "routes": [{"receivers": ["me"]}]}"#) == nil)
    }

    static func setUp() throws -> (DataHome, URL) {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-reload-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (DataHome(root: dir), dir.appendingPathComponent("notify.json"))
    }

    static let good =
        #"{"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "console"}]}, {"name": "anna", "channels": [{"type": "console"}]}], "routes": [{"receivers": ["me", "anna"]}]}"#
    static let berlin = HomeClock(timeZone: TimeZone(identifier: "Europe/Berlin")!)
    /// 10:02 in Berlin.
    static let tenOTwo = PlannerTests.morning + 120

    @Test func aBadFileKeepsTheLastGoodRulesAndSaysWhy() throws {
        let (home, file) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: home.root) }
        try Self.good.write(to: file, atomically: true, encoding: .utf8)
        var rules = RulesFile(home: home, configuration: Configuration())
        #expect(rules.start(now: Self.tenOTwo).caregivers == ["anna"])
        #expect(rules.status.describe(Self.berlin, now: Self.tenOTwo) == "notify.json, loaded 10:02")
        guard case .unchanged = rules.check(now: Self.tenOTwo + 1) else {
            Issue.record("nothing changed")
            return
        }

        try "{\"receivers\": [\n  {\"name\": \"me\" \"channels\": []}]}".write(to: file, atomically: true, encoding: .utf8)
        guard case .rejected(let problem) = rules.check(now: Self.tenOTwo + 60) else {
            Issue.record("a bad file is rejected")
            return
        }
        #expect(problem == "notify.json: line 2, column 17: expected ',' or '}', found '\"'")
        #expect(rules.status.describe(Self.berlin, now: Self.tenOTwo + 60) == "last good from 10:02; \(problem)")
        guard case .unchanged = rules.check(force: true, now: Self.tenOTwo + 61) else {
            Issue.record("the same bad file again")
            return
        }

        try Self.good.replacingOccurrences(of: "anna", with: "ben").write(to: file, atomically: true, encoding: .utf8)
        guard case .loaded(let fixed) = rules.check(now: Self.tenOTwo + 120) else {
            Issue.record("the fixed file is loaded")
            return
        }
        #expect(fixed.caregivers == ["ben"])
        #expect(rules.status.problem == nil)
        #expect(rules.status.describe(Self.berlin, now: Self.tenOTwo + 120) == "notify.json, loaded 10:04")
    }

    /// SIGHUP reads the file even when its size, time and inode look the same.
    @Test func aForcedCheckReadsAFileThatLooksUnchanged() throws {
        let (home, file) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: home.root) }
        try Self.good.write(to: file, atomically: true, encoding: .utf8)
        let stamp = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file.path)
        var rules = RulesFile(home: home, configuration: Configuration())
        _ = rules.start(now: Self.tenOTwo)
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: Data(Self.good.replacingOccurrences(of: "anna", with: "bert").utf8))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: file.path)
        guard case .unchanged = rules.check(now: Self.tenOTwo + 1) else {
            Issue.record("looks unchanged")
            return
        }
        guard case .loaded(let reread) = rules.check(force: true, now: Self.tenOTwo + 2) else {
            Issue.record("re-read")
            return
        }
        #expect(reread.caregivers == ["bert"])
    }

    /// Starting with a broken file: the saved copy of the last good one, else the standard
    /// rules; either way notify runs and says so.
    @Test func aStartWithABadFileUsesTheLastGoodCopyOrTheStandardRules() throws {
        let (home, file) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: home.root) }
        try "{\"receivers\": ".write(to: file, atomically: true, encoding: .utf8)
        var first = RulesFile(home: home, configuration: Configuration())
        let standard = first.start(now: Self.tenOTwo)
        #expect(standard == .standard(person: "me"))
        #expect(
            first.status.describe(Self.berlin, now: Self.tenOTwo).hasPrefix(
                "standard rules (only the person, on the console and in logs/notifications.jsonl); notify.json: line 1, column 15: expected a value"))

        try Self.good.write(to: file, atomically: true, encoding: .utf8)
        var second = RulesFile(home: home, configuration: Configuration())
        #expect(second.start(now: Self.tenOTwo).caregivers == ["anna"])
        try "{}".write(to: file, atomically: true, encoding: .utf8)
        var third = RulesFile(home: home, configuration: Configuration())
        #expect(third.start(now: Self.tenOTwo + 600).caregivers == ["anna"], "the last good copy")
        #expect(third.status.usingLastGood)
        #expect(third.status.describe(Self.berlin, now: Self.tenOTwo + 600).hasPrefix("last good from "))
        #expect(third.status.problem == "notify.json: receivers: missing (this field is required)")
    }

    /// notify.json removed: the standard rules, but only once it stays gone (an editor
    /// saving by rename leaves it missing for a moment).
    @Test func aRemovedFileMeansTheStandardRulesOnceItStaysGone() throws {
        let (home, file) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: home.root) }
        try Self.good.write(to: file, atomically: true, encoding: .utf8)
        var rules = RulesFile(home: home, configuration: Configuration())
        _ = rules.start(now: Self.tenOTwo)
        try FileManager.default.removeItem(at: file)
        guard case .unchanged = rules.check(now: Self.tenOTwo + 1) else {
            Issue.record("missing once: kept")
            return
        }
        try Self.good.write(to: file, atomically: true, encoding: .utf8)
        guard case .unchanged = rules.check(now: Self.tenOTwo + 2) else {
            Issue.record("back with the same content")
            return
        }
        try FileManager.default.removeItem(at: file)
        _ = rules.check(now: Self.tenOTwo + 3)
        guard case .loaded(let standard) = rules.check(now: Self.tenOTwo + 4) else {
            Issue.record("gone: standard rules")
            return
        }
        #expect(standard == .standard(person: "me"))
        #expect(rules.status.describe(Self.berlin, now: Self.tenOTwo + 4) == "standard rules (no notify.json), loaded 10:02")
    }
}
