import Foundation
import GRDB
import SpasmNotify
import SpasmSchema
import Testing

/// Notify's journal: what a restart resumes, re-sends recognised, short ids found.
@Suite("Notify journal")
struct JournalTests {
    /// In memory: these tests are about what the journal answers, not its file.
    static func journal() throws -> NotifyJournal {
        try NotifyJournal(DatabaseQueue())
    }

    static func alert(_ severity: AlertSeverity, at: Double) -> Alert {
        Alert(kind: severity == .critical ? "fall" : "tonic", severity: severity, groupKey: "k", title: "t", message: "m", at: at)
    }

    @Test func resumesOnlyUndeliveredUnansweredAlerts() async throws {
        let journal = try Self.journal()
        let undelivered = Self.alert(.info, at: 1000)
        let delivered = Self.alert(.info, at: 1000)
        let oldFall = Self.alert(.critical, at: 100)
        let deliveredFall = Self.alert(.critical, at: 1000)
        let undeliveredFall = Self.alert(.critical, at: 1000)
        let answeredFall = Self.alert(.critical, at: 1000)
        for (alert, time) in [
            (undelivered, 1000.0), (delivered, 1000), (oldFall, 100), (deliveredFall, 1000),
            (undeliveredFall, 1000), (answeredFall, 1000),
        ] {
            #expect(try await journal.record(alert, person: "me", at: time))
        }
        #expect(try await journal.record(undelivered, person: "me", at: 1001) == false, "a re-send is recognised")
        try await journal.markDelivered([delivered.alertId, deliveredFall.alertId], at: 1002)
        try await journal.markAcknowledged(Acknowledgement(alertId: answeredFall.alertId, by: "me", at: 1003, via: "cli"))
        let resumed = Set(try await journal.undelivered(since: 500).map(\.id))
        #expect(
            resumed == [undelivered.alertId.uuidString, undeliveredFall.alertId.uuidString],
            "a delivered fall is not sent again; an old or answered one neither")
    }

    /// Escalation progress is saved with the sends of each step, and forgotten when the
    /// escalation ends or is acknowledged.
    @Test func escalationProgressIsKeptUntilItEnds() async throws {
        let journal = try Self.journal()
        let fall = Self.alert(.critical, at: 1000)
        let other = Self.alert(.critical, at: 1000)
        try await journal.record(fall, person: "me", at: 1000)
        func state(_ alert: Alert, step: Int) -> NotificationPlanner.EscalationState {
            let steps = ["me", "anna", "ben"]
            let next: Double = 1000 + Double(step) * 60
            return NotificationPlanner.EscalationState(
                alert: alert, person: "me", steps: steps, nextStep: step, nextAt: next,
                after: 60, startedAt: 1000, told: Array(steps.prefix(step)))
        }
        let job = NotifyJournal.Job(id: "j1", receiver: "anna", channelIndex: 0, notification: Data("{}".utf8), createdAt: 1060)
        try await journal.save(jobs: [], escalations: .init(running: [state(fall, step: 1), state(other, step: 1)]), at: 1000)
        try await journal.save(jobs: [job], escalations: .init(running: [state(fall, step: 2)]), at: 1060)
        #expect(try await journal.runningEscalations() == [state(other, step: 1), state(fall, step: 2)])
        #expect(try await journal.pendingJobs().map(\.id) == ["j1"], "the step's send is in the same transaction")
        try await journal.save(jobs: [], escalations: .init(ended: [other.alertId]), at: 1100)
        try await journal.markAcknowledged(Acknowledgement(alertId: fall.alertId, by: "anna", at: 1101, via: "web"))
        #expect(try await journal.runningEscalations().isEmpty)
    }

    @Test func findsAlertsByShortPrefix() async throws {
        let journal = try Self.journal()
        let alert = Self.alert(.critical, at: 1)
        try await journal.record(alert, person: "me", at: 1)
        try await journal.record(Self.alert(.info, at: 2), person: "me", at: 2)
        let prefix = String(alert.alertId.uuidString.lowercased().prefix(8))
        #expect(try await journal.find(prefix: prefix).map(\.id) == [alert.alertId.uuidString])
        #expect(try await journal.entry(alert.alertId)?.alert == alert)
        #expect(try await journal.prune(before: 2) == 1)
        #expect(try await journal.entry(alert.alertId) == nil)
    }
}
