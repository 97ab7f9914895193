import Foundation
import GRDB
import Logging
import SpasmBus
import SpasmSchema
import SpasmTestSupport
import Testing

@testable import SpasmReliability

@Suite("Durable outbox", .serialized)
struct OutboxTests {
    let entry = DiaryEntry(recordedAt: 1, via: "test", kind: .checkin, checkin: CheckIn(at: 1, nrs: 5, psfs: 2))

    @Test func outboxIsDurableAndIdempotentById() async throws {
        let dir = try TestSupport.temporaryHome("outbox")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("outbox.sqlite")
        let id = UUID()
        do {
            let outbox = try Outbox.open(url: url)
            try await outbox.add(entry, topic: Topic.manualEntry, id: id, person: "me")
            try await outbox.add(entry, topic: Topic.manualEntry, id: id, person: "me")
        }
        // A second process (here: a second handle) sees it, once.
        let reopened = try Outbox.open(url: url)
        let items = try await reopened.all()
        #expect(items.map(\.id) == [id])
        #expect(items.first?.lastSentAt == nil)
        #expect(try await reopened.due(sentBefore: 0).count == 1, "never sent: due at once")
        try await reopened.markSent([id], at: 100)
        #expect(try await reopened.due(sentBefore: 50).isEmpty)
        #expect(try await reopened.due(sentBefore: 150).first?.attempts == 1)
        #expect(try await reopened.confirm([id, UUID()]) == 1)
        #expect(try await reopened.pendingCount() == 0)
    }

    /// The sender re-publishes with the same id until a stand-in for storage sends the
    /// stored receipt; then it stops.
    @Test func resendsWithSameIdUntilStoredReceipt() async throws {
        let dir = try TestSupport.temporaryHome("resend")
        defer { try? FileManager.default.removeItem(at: dir) }
        let broker = try InProcessBroker(directory: dir)
        let counters = CounterSet()
        let publisher = try BusPublisher(context: broker.context, address: broker.address, source: "manual-test")
        let receipts = try BusSubscriber(context: broker.context, address: broker.address, prefixes: [Topic.stored("manual-test")])
        let watcher = try BusSubscriber(context: broker.context, address: broker.address, prefixes: [Topic.manualEntry])
        let storage = try BusPublisher(context: broker.context, address: broker.address, source: "store-standin")
        let outbox = try Outbox(DatabaseQueue())
        // Written while "the service was down" (as the CLI does): sent on the first pass.
        let early = UUID()
        try await outbox.add(entry, topic: Topic.manualEntry, id: early, person: "me")
        let sender = ReliableSender(
            outbox: outbox, publisher: publisher, receipts: receipts, counters: counters,
            resendInterval: 0.3, logger: Logger(label: "test"))
        let running = Task { try await sender.run() }
        try await Task.sleep(for: .milliseconds(300))  // subscriptions settle
        let id = try await sender.send(entry, topic: Topic.manualEntry)

        // Without a receipt the same id comes again and again.
        var seen: [UUID: Int] = [:]
        let deadline = Date().addingTimeInterval(15)
        while (seen[id] ?? 0) < 3 || (seen[early] ?? 0) < 2, Date() < deadline {
            for message in watcher.next(timeout: 0.1) ?? [] { seen[message.header.id, default: 0] += 1 }
        }
        #expect((seen[id] ?? 0) >= 3)
        #expect((seen[early] ?? 0) >= 2)
        let body = try #require(try await outbox.all().first { $0.id == id })
        #expect(
            try WireCodec.decode(
                DiaryEntry.self,
                from: WireCodec.assemble(
                    header: publisher.makeHeader(topic: "t", type: DiaryEntry.messageType), bodyJSON: body.body)
            ).body == entry)

        // Storage confirms both: the outbox empties and re-sending stops.
        try storage.publish(StoredReceipt(forSource: "manual-test", ids: [id, early]), topic: Topic.stored("manual-test"))
        let confirmDeadline = Date().addingTimeInterval(10)
        while try await outbox.pendingCount() > 0, Date() < confirmDeadline {
            try await Task.sleep(for: .milliseconds(50))
            if try await outbox.pendingCount() > 0 {  // a receipt may be lost like any message: repeat it
                try storage.publish(StoredReceipt(forSource: "manual-test", ids: [id, early]), topic: Topic.stored("manual-test"))
            }
        }
        #expect(try await outbox.pendingCount() == 0)
        _ = watcher.next(timeout: 0.5)  // drain anything in flight
        try await Task.sleep(for: .milliseconds(900))
        let after = watcher.next(timeout: 0.1) ?? []
        #expect(after.isEmpty, "no re-send after the receipt")
        #expect(counters["outbox.confirmed"] == 2)

        running.cancel()
        receipts.stop()
        _ = try? await running.value
        await receipts.closeAsync()
        await watcher.closeAsync()
        await publisher.closeAsync()
        await storage.closeAsync()
        broker.stop()
    }
}
