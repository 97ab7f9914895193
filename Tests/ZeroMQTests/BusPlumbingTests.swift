import Foundation
import SpasmConfig
import SpasmErrors
import SpasmSchema
import SpasmSync
import SpasmTestSupport
import Testing

@testable import SpasmBus
@testable import ZeroMQ

@Suite("Bus plumbing")
struct BusPlumbingTests {
    @Test func sequenceTrackerCountsGapsRestartsAndDuplicates() {
        var tracker = SequenceTracker()
        #expect(tracker.observe(source: "a", epoch: 1, seq: 0) == .firstFromSender)
        #expect(tracker.observe(source: "a", epoch: 1, seq: 1) == .inOrder)
        #expect(tracker.observe(source: "a", epoch: 1, seq: 5) == .gap(missing: 3))
        #expect(tracker.observe(source: "a", epoch: 1, seq: 5) == .duplicateOrOld)
        #expect(tracker.observe(source: "a", epoch: 9, seq: 0) == .restarted)
        #expect(tracker.observe(source: "b", epoch: 1, seq: 10) == .firstFromSender)
        // Each topic of a sender is its own run.
        #expect(tracker.observe(source: "c", topic: "x", epoch: 1, seq: 0) == .firstFromSender)
        #expect(tracker.observe(source: "c", topic: "y", epoch: 1, seq: 0) == .firstFromSender)
        #expect(tracker.observe(source: "c", topic: "x", epoch: 1, seq: 1) == .inOrder)
        #expect(tracker.totalMissing == 3)
        #expect(tracker.missingBySource == ["a": 3])
        #expect(tracker.duplicates == 1)
    }

    @Test func handoffQueueBatchesAndCloses() async {
        let queue = HandoffQueue<Int>(capacity: 3)
        #expect(queue.offer(1))
        #expect(queue.offer(2))
        #expect(queue.offer(3))
        #expect(!queue.offer(4), "full: offer refuses instead of blocking")
        #expect(await queue.nextBatch() == [1, 2, 3])
        let waiting = Task { await queue.nextBatch() }
        try? await Task.sleep(for: .milliseconds(50))
        queue.put(7)
        #expect(await waiting.value == [7])
        queue.close()
        #expect(await queue.nextBatch() == nil)
        #expect(!queue.put(8))
    }

    /// Hand-offs wake a waiting thread only when one waits: a taker blocked on an empty queue and
    /// a putter blocked on a full one must still be woken (a missed wake would leave the taker
    /// with [] at its 60 s deadline, and the putter stuck).
    @Test func handoffQueueWakesBlockedThreads() async {
        let queue = HandoffQueue<Int>(capacity: 2)
        let took = Locked<[[Int]?]>([])
        let taker = Thread {
            took.withLock { $0.append(queue.takeBatch(timeout: 60)) }
        }
        taker.start()
        while !queue.hasTakerWaiting { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(queue.offer(1))
        while took.withLock({ $0.isEmpty }) { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(took.withLock { $0 } == [[1]])

        #expect(queue.offer(2) && queue.offer(3))
        let putDone = Locked(false)
        let putter = Thread {
            queue.put(contentsOf: [4, 5])
            putDone.withLock { $0 = true }
        }
        putter.start()
        while !queue.hasPutterWaiting { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(queue.takeBatch(timeout: 60) == [2, 3])
        while !putDone.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
        #expect(queue.takeBatch(timeout: 60) == [4, 5])
        queue.close()
    }

    /// The topic frame must be UTF-8; ASCII (every topic we send) and other UTF-8 are read as text.
    @Test func topicFramesAreCheckedForUTF8() throws {
        let envelope = try WireCodec.encodeEnvelope(
            Envelope(
                header: EnvelopeHeader(type: Heartbeat.messageType, source: "t", epoch: 1, seq: 0, time: 1),
                body: Heartbeat(service: "t", instance: "t", pid: 1, version: "0", uptimeSeconds: 0)))
        #expect(try BusMessage(frames: [Data("heartbeat.t".utf8), envelope]).topic == "heartbeat.t")
        #expect(try BusMessage(frames: [Data("capteur.é".utf8), envelope]).topic == "capteur.é")
        #expect(try BusMessage(frames: [Data(), envelope]).topic == "")
        for bad: [UInt8] in [[0xFF], [0x61, 0xC3], [0xED, 0xA0, 0x80]] {
            #expect(throws: SpasmError.self) { try BusMessage(frames: [Data(bad), envelope]) }
        }
    }

    /// Publisher and subscriber through an XSUB/XPUB proxy on ipc in a temporary folder.
    @Test func publisherToSubscriberThroughAProxy() async throws {
        let dir = try TestSupport.temporaryHome("plumbing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let broker = try InProcessBroker(directory: dir)
        let (context, address) = (broker.context, broker.address)
        let counters = CounterSet()
        let subscriber = try BusSubscriber(context: context, address: address, prefixes: ["heartbeat."], counters: counters)
        let publisher = try BusPublisher(context: context, address: address, source: "tester")
        let beat = Heartbeat(service: "t", instance: "tester", pid: 1, version: "0", uptimeSeconds: 0)
        // Subscriptions travel upstream asynchronously: publish until the first arrives.
        var received: [BusMessage] = []
        for _ in 0..<100 where received.isEmpty {
            try publisher.publish(beat, topic: Topic.heartbeat("t"))
            try publisher.publish(beat, topic: "other.topic")  // filtered out by prefix
            received = subscriber.next(timeout: 0.05) ?? []
        }
        let first = try #require(received.first)
        #expect(first.topic == "heartbeat.t")
        #expect(try first.decode(Heartbeat.self).body == beat)
        #expect(first.header.source == "tester")
        #expect(first.header.epoch == publisher.epoch)
        // Ten more in order, no gaps.
        for _ in 0..<10 { try publisher.publish(beat, topic: Topic.heartbeat("t")) }
        var more: [BusMessage] = received
        let deadline = Date().addingTimeInterval(5)
        while more.count < received.count + 10 && Date() < deadline { more += subscriber.next(timeout: 0.05) ?? [] }
        #expect(more.allSatisfy { $0.topic.hasPrefix("heartbeat.") })
        #expect(more.count >= 11)
        #expect(subscriber.totalMissing == 0)
        await subscriber.closeAsync()
        await publisher.closeAsync()
        broker.stop()
    }
}
