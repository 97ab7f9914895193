import Foundation
import SpasmSchema
import SpasmStore
import Testing

/// An undo of an undo (a redo) in storage: the entry counts again; undoing the redo takes
/// it out again. Seen on main: any correction aimed at an entry hid it for good.
@Suite("Store: undo of an undo")
struct RedoQueryTests {
    @Test func aRedoPutsTheEntryBackInTheDiaryAndTheStatistics() throws {
        let database = try StoreFixtures.inMemory()
        let ingestor = StoreIngestor(database: database)
        let engine = StoreQueryEngine(database: database, timeZone: TimeZone(identifier: "UTC")!)
        let spasm = StoreFixtures.spasm("2026-10-24T10:00:00Z", .phasic, severity: 2, site: .leftCalf)
        func correction(_ target: UUID, _ t: Double) -> DiaryEntry {
            DiaryEntry(recordedAt: t, via: "test", kind: .correction, correction: CorrectionRecord(targetEntryId: target, action: .retract))
        }
        let undo = correction(spasm.entryId, spasm.recordedAt + 10)
        let redo = correction(undo.entryId, spasm.recordedAt + 20)
        let again = correction(redo.entryId, spasm.recordedAt + 30)
        func listed() -> [UUID] { (engine.answer(StoreRequest(query: .entries)).entries ?? []).map(\.entry.entryId) }
        func counted() -> Int {
            let day = StoreFixtures.utc("2026-10-24T00:00:00Z")
            return engine.answer(StoreRequest(query: .statistics, from: day, to: day + 86_400)).statistics?.days.first?.diarySpasms ?? -1
        }
        try ingestor.store([try StoreFixtures.entry(spasm), try StoreFixtures.entry(undo)])
        #expect(listed().isEmpty && counted() == 0, "undone")
        try ingestor.store([try StoreFixtures.entry(redo)])
        #expect(listed() == [spasm.entryId], "the redo puts it back")
        #expect(counted() == 1)
        try ingestor.store([try StoreFixtures.entry(again)])
        #expect(listed().isEmpty && counted() == 0, "undoing the redo takes it out again")
    }
}
