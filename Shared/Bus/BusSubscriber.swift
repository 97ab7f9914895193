import Foundation
import Logging
import SpasmErrors
import SpasmSchema
import SpasmSync
import Synchronization
import ZeroMQ

/// Receives from the bus. A dedicated thread owns the SUB socket, checks every message's
/// format and sequence number, and hands messages to async code through `messages`.
/// When the consumer falls behind, the thread waits, the socket's queue fills to its
/// high-water mark, and further loss shows up as sequence gaps (counted, never silent).
public final class BusSubscriber: Sendable {
    public let prefixes: [String]
    private let shared: Shared
    private let thread: SocketThread

    /// State the socket thread and async callers share.
    private final class Shared: Sendable {
        let queue: HandoffQueue<BusMessage>
        let stopped = Atomic<Bool>(false)
        let tracker = Locked(SequenceTracker())
        let counters: CounterSet
        init(queue: HandoffQueue<BusMessage>, counters: CounterSet) {
            self.queue = queue
            self.counters = counters
        }
    }

    /// Connects to the bus's subscribe endpoint and subscribes to topic prefixes
    /// ("" = everything).
    public init(
        context: ZMQContext, address: BusAddress, prefixes: [String], counters: CounterSet = CounterSet(),
        queueCapacity: Int = 50_000, logger: Logger? = nil
    ) throws {
        self.prefixes = prefixes
        let shared = Shared(queue: HandoffQueue(capacity: queueCapacity), counters: counters)
        self.shared = shared
        let ready = SocketThread.Handshake()
        thread = SocketThread(name: "sub-\(prefixes.first ?? "all")") {
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .sub)
                try socket.setReceiveHighWaterMark(Int32(clamping: address.highWaterMark))
                try socket.setMaxMessageSize(Int64(address.maxMessageBytes))
                try socket.setReceiveTimeout(milliseconds: 100)
                try socket.setReconnectInterval(milliseconds: 100, max: 1000)
                if let security = address.security { try security.secureClient(socket) }
                for prefix in prefixes { try socket.subscribe(prefix) }
                try socket.connect(address.subscribe)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer {
                socket.close()
                shared.queue.close()
            }
            var batch: [BusMessage] = []
            while !shared.stopped.load(ordering: .relaxed) {
                // Every message that has arrived (up to 256), so a busy bus costs one hand-over
                // per batch instead of one per message.
                let received: [[Data]]
                do {
                    received = try socket.receiveBatch(limit: 256)
                } catch {
                    if let zmqError = error as? SpasmError, zmqError.isTerminated { return }
                    counters.add("bus.receive_failed")
                    logger?.warning("receive failed", metadata: ["error": "\(error)"])
                    continue
                }
                if received.isEmpty { continue }  // timeout: check the stop flag
                batch.removeAll(keepingCapacity: true)
                var malformed = 0
                var gaps: Int64 = 0
                var duplicates = 0
                for frames in received {
                    let message: BusMessage
                    do {
                        message = try BusMessage(frames: frames)
                    } catch {
                        malformed += 1
                        logger?.warning("malformed message on the bus", metadata: ["error": "\(error)"])
                        continue
                    }
                    batch.append(message)
                }
                shared.tracker.withLock { tracker in
                    for message in batch {
                        switch tracker.observe(message.header, topic: message.topic) {
                        case .gap(let missing):
                            gaps += Int64(missing)
                            logger?.notice("sequence gap", metadata: ["source": "\(message.header.source)", "missing": "\(missing)"])
                        case .duplicateOrOld:
                            duplicates += 1
                        default:
                            break
                        }
                    }
                }
                if malformed > 0 { counters.add("bus.rejected_malformed", Int64(malformed)) }
                if gaps > 0 { counters.add("bus.gap_messages", gaps) }
                if duplicates > 0 { counters.add("bus.duplicates", Int64(duplicates)) }
                if !batch.isEmpty {
                    counters.add("bus.received", Int64(batch.count))
                    if !shared.queue.put(contentsOf: batch) { return }
                }
            }
        }
        try ready.wait()
    }

    /// Messages missing from each sender so far (sequence gaps).
    public var missingBySource: [String: UInt64] { shared.tracker.withLock { $0.missingBySource } }
    public var totalMissing: UInt64 { shared.tracker.withLock { $0.totalMissing } }

    /// The received messages, in order. Ends when the subscriber is closed.
    public var messages: Messages { Messages(queue: shared.queue) }

    /// Waits for the next message (nil once closed). Convenience for a single consumer.
    public func next(timeout: TimeInterval) -> [BusMessage]? {
        shared.queue.takeBatch(timeout: timeout)
    }

    /// Asks the socket thread to stop (it closes its socket within 100 ms) and ends `messages`.
    /// Does not block.
    public func stop() {
        shared.stopped.store(true, ordering: .relaxed)
        shared.queue.close()
    }

    /// Stops and waits for the socket to be closed (blocks the calling thread up to ~100 ms).
    public func close() {
        stop()
        thread.join()
    }

    /// Stops and waits for the socket to be closed, off the cooperative pool.
    public func closeAsync() async {
        stop()
        await thread.joinAsync()
    }

    /// An async sequence over received messages, fetched from the socket thread in batches.
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = BusMessage
        let queue: HandoffQueue<BusMessage>

        public func makeAsyncIterator() -> Iterator { Iterator(queue: queue) }

        public struct Iterator: AsyncIteratorProtocol {
            let queue: HandoffQueue<BusMessage>
            var batch: [BusMessage] = []
            var index = 0

            public mutating func next() async -> BusMessage? {
                if index >= batch.count {
                    guard let more = await queue.nextBatch() else { return nil }
                    batch = more
                    index = 0
                    if batch.isEmpty { return await next() }
                }
                defer { index += 1 }
                return batch[index]
            }
        }
    }
}
