import Foundation
import Logging
import SpasmConfig
import SpasmNotify
import SpasmSchema
import Testing

/// The engine after a restart, with a real journal and file channels: an interrupted send
/// goes out once more through the same channel (found by its spec after a reload), marked
/// as resent, and a saved escalation carries on at its step.
@Suite("Notify engine resume")
struct EngineResumeTests {
    static func lines(_ url: URL) -> [AlertNotification] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(AlertNotification.self, from: Data($0.utf8)) }
    }

    @Test func resumesSendsByChannelSpecAndEscalationsAtTheirStep() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-engine-\(UUID().uuidString.prefix(8))", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let home = DataHome(root: dir)
        let journal = try NotifyJournal.open(url: dir.appendingPathComponent("data/notify.sqlite"))
        let mine = ChannelSpec(type: .file, path: "me.jsonl")
        let annas = ChannelSpec(type: .file, path: "anna.jsonl")
        let clock = ManualClock(PlannerTests.morning)
        let fall = PlannerTests.alert("fall", .critical, at: PlannerTests.morning)
        try await journal.record(fall, person: "me", at: clock.now)
        try await journal.markDelivered([fall.alertId], at: clock.now)

        // The first run: me had [console, file]; its file send was cut off, and the
        // escalation was due to tell anna next.
        let interrupted = AlertNotification(
            receiver: "me", purpose: .alert, person: "me", alerts: [fall], title: "Possible fall",
            text: "A fall was detected.", escalationStep: 0, createdAt: clock.now)
        let job = NotifyJournal.Job(
            id: "j1", receiver: "me", channelIndex: 1, notification: try WireCodec.encode(interrupted),
            createdAt: clock.now, channel: mine)
        let escalation = NotificationPlanner.EscalationState(
            alert: fall, person: "me", steps: ["me", "anna"], nextStep: 1, nextAt: clock.now + 120, after: 120,
            startedAt: clock.now, told: ["me"])
        try await journal.save(jobs: [job], escalations: .init(running: [escalation]), at: clock.now)

        // The next run, after notify.json changed: me has only the file channel (index 0).
        let rules = NotifyRules(
            receivers: [.init(name: "me", isPerson: true, channels: [mine]), .init(name: "anna", channels: [annas])],
            routes: [.init(receivers: ["me", "anna"])])
        clock.advance(by: 300)
        let engine = NotifyEngine(
            planner: NotificationPlanner(rules: rules, settings: PlannerSettings(), text: NotificationText(home: PlannerTests.berlin), clock: clock),
            channels: ChannelFactory.make(rules, home: home, settings: NotifySettings()), journal: journal,
            recorder: ChannelTests.Recorder(), clock: clock, logger: Logger(label: "test"))
        let resumed = await engine.resumeFromJournal(undeliveredSince: 0)
        #expect(resumed == NotifyEngine.Resumed(sends: 1, escalations: 1, undelivered: 0, oldestEscalation: fall.at))
        await engine.tick()
        await engine.idle()

        let toMe = Self.lines(dir.appendingPathComponent("me.jsonl"))
        #expect(toMe.map(\.title) == ["Possible fall (resent after a restart)"])
        #expect(toMe.first?.notificationId == interrupted.notificationId, "the same notification, same id")
        let toAnna = Self.lines(dir.appendingPathComponent("anna.jsonl"))
        #expect(toAnna.map(\.escalationStep) == [1], "the escalation went on at anna, not at the person")
        #expect(toAnna.first?.text.contains("told so far: me") == true)
        #expect(try await journal.runningEscalations().isEmpty, "anna was the last step")
        #expect(try await journal.pendingJobs().isEmpty)
    }
}
