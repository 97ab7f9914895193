import Foundation
import GRDB
import SpasmDiary
import SpasmReliability
import SpasmSchema
import Testing

/// The manual service's table of accepted entries: idempotent by entry id, retractions
/// mark their target, prefixes find ids.
@Suite("Diary journal")
struct DiaryJournalTests {
    func temporaryFile(_ name: String) -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sw-journal-\(UUID().uuidString.prefix(8))/\(name)")
    }

    func spasm(_ t: Double, id: UUID = UUID()) -> DiaryEntry {
        DiaryEntry(entryId: id, recordedAt: t, via: "cli", kind: .spasm, spasm: SpasmRecord(at: t, site: .leftCalf, type: .tonic, severity: 2))
    }

    @Test func recordsOnceRetractsAndFindsByPrefix() async throws {
        let journal = try DiaryJournal(DatabaseQueue())
        let first = spasm(1_764_000_000)
        let second = spasm(1_764_000_100)
        #expect(try await journal.record(first))
        #expect(try await journal.record(second))
        #expect(try await journal.record(first) == false)  // the same id again: kept once
        #expect(try await journal.count() == 2)
        let stranger = UUID()
        #expect(try await journal.unknown([first.entryId, stranger, second.entryId]) == [stranger])
        #expect(try await journal.lastUndoable()?.entryId == second.entryId)

        let undo = DiaryEntry(
            recordedAt: 1_764_000_200, via: "web", kind: .correction,
            correction: CorrectionRecord(targetEntryId: second.entryId, action: .retract))
        #expect(try await journal.record(undo))
        let recent = try await journal.recent(limit: 10)
        #expect(recent.map(\.entry.entryId) == [undo.entryId, second.entryId, first.entryId])
        #expect(recent.map(\.retracted) == [false, true, false])
        #expect(try await journal.lastUndoable()?.entryId == first.entryId)

        let prefix = String(ShortId.of(first.entryId).prefix(6))
        #expect(try await journal.ids(startingWith: prefix.uppercased()).contains(first.entryId))
    }

    /// An undo can be undone (a redo): the entry is back; undoing the redo takes it away again.
    /// Seen on main: the entry stayed undone.
    @Test func undoOfAnUndoPutsTheEntryBack() async throws {
        let journal = try DiaryJournal(DatabaseQueue())
        let entry = spasm(1_764_000_000)
        func correction(_ target: UUID, _ t: Double) -> DiaryEntry {
            DiaryEntry(recordedAt: t, via: "web", kind: .correction, correction: CorrectionRecord(targetEntryId: target, action: .retract))
        }
        let undo = correction(entry.entryId, 1_764_000_100)
        let redo = correction(undo.entryId, 1_764_000_200)
        let again = correction(redo.entryId, 1_764_000_300)
        #expect(try await journal.record(entry))
        #expect(try await journal.record(undo))
        #expect(try await journal.entry(entry.entryId)?.retracted == true)
        #expect(try await journal.record(redo))
        #expect(try await journal.entry(entry.entryId)?.retracted == false, "redo puts it back")
        #expect(try await journal.entry(undo.entryId)?.retracted == true)
        #expect(try await journal.lastUndoable()?.entryId == entry.entryId)
        #expect(try await journal.record(again))
        #expect(try await journal.entry(entry.entryId)?.retracted == true, "undoing the redo undoes the entry again")
        #expect(try await journal.entry(undo.entryId)?.retracted == false)
    }

    /// A second handle on the same file (the CLI while the service runs) sees the same rows.
    /// "Clear all" on the page: the cleared alerts are kept in the file (so they stay cleared
    /// after a restart), each once, for two days of the alert's own time.
    @Test func clearedAlertsAreKeptForTwoDays() async throws {
        let file = temporaryFile("manual-journal.sqlite")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let now = 1_764_000_000.0
        let (old, recent, newest) = (UUID(), UUID(), UUID())
        let journal = try DiaryJournal.open(url: file)
        try await journal.clear(alerts: [(old, now - 3 * 86_400), (recent, now - 3600)], now: now)
        try await journal.clear(alerts: [(recent, now - 3600), (newest, now - 60)], now: now)
        let reopened = try DiaryJournal.open(url: file)
        #expect(try await reopened.clearedAlerts(now: now) == [recent: now - 3600, newest: now - 60])
        #expect(try await reopened.clearedAlerts(now: now + 2 * 86_400 - 1800) == [newest: now - 60], "older than two days: gone")
    }

    @Test func aSecondHandleOnTheFileSeesTheSameRows() async throws {
        let url = temporaryFile("journal.sqlite")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let journal = try DiaryJournal.open(url: url)
        #expect(try await journal.record(spasm(1_764_000_000)))
        #expect(try await journal.record(spasm(1_764_000_100)))
        #expect(try await journal.record(spasm(1_764_000_200)))
        let again = try DiaryJournal.open(url: url)
        #expect(try await again.count() == 3)
    }

    @Test func outboxHoldsEntriesUnderTheirEntryId() async throws {
        let outbox = try Outbox(DatabaseQueue())
        let entry = spasm(1_764_000_000)
        try await DiaryOutbox.enqueue(entry, in: outbox, person: "me")
        try await DiaryOutbox.enqueue(entry, in: outbox, person: "me")  // the CLI and the service both wrote it
        #expect(try await outbox.pendingCount() == 1)
        #expect(try await DiaryOutbox.pendingIds(in: outbox) == [entry.entryId])
        #expect(try await DiaryOutbox.pendingEntries(in: outbox) == [entry])
    }
}
