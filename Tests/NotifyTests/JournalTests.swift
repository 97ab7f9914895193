import Foundation
import SpasmNotify
import SpasmSchema
import Testing

/// Notify's journal: what a restart resumes, re-sends recognised, short ids found.
@Suite("Notify journal")
struct JournalTests {
    static func journal() throws -> (NotifyJournal, URL) {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-journal-\(UUID().uuidString.prefix(8))")
        return (try NotifyJournal(url: dir.appendingPathComponent("notify.sqlite")), dir)
    }

    static func alert(_ severity: AlertSeverity, at: Double) -> Alert {
        Alert(kind: severity == .critical ? "fall" : "tonic", severity: severity, groupKey: "k", title: "t", message: "m", at: at)
    }

    @Test func resumesUndeliveredAndRecentUnansweredCriticalAlerts() async throws {
        let (journal, dir) = try Self.journal()
        defer { try? FileManager.default.removeItem(at: dir) }
        let undelivered = Self.alert(.info, at: 1000), delivered = Self.alert(.info, at: 1000)
        let oldFall = Self.alert(.critical, at: 100), recentFall = Self.alert(.critical, at: 1000)
        let answeredFall = Self.alert(.critical, at: 1000)
        for (alert, time) in [(undelivered, 1000.0), (delivered, 1000), (oldFall, 100), (recentFall, 1000), (answeredFall, 1000)] {
            #expect(try await journal.record(alert, person: "me", at: time))
        }
        #expect(try await journal.record(undelivered, person: "me", at: 1001) == false, "a re-send is recognised")
        try await journal.markDelivered([delivered.alertId, oldFall.alertId, recentFall.alertId, answeredFall.alertId], at: 1002)
        try await journal.markAcknowledged(Acknowledgement(alertId: answeredFall.alertId, by: "me", at: 1003, via: "cli"))
        let resumed = Set(try await journal.unfinished(since: 0, criticalSince: 500).map(\.id))
        #expect(resumed == [undelivered.alertId.uuidString, recentFall.alertId.uuidString])
    }

    @Test func findsAlertsByShortPrefix() async throws {
        let (journal, dir) = try Self.journal()
        defer { try? FileManager.default.removeItem(at: dir) }
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
