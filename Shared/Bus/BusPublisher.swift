import Foundation
import Logging
import SpasmErrors
import SpasmSchema
import SpasmSync
import ZeroMQ

/// Publishes on the bus. Async code calls `publish`, which never blocks: messages are stamped
/// (source, epoch, sequence number) and handed to a dedicated thread that owns the PUB socket.
public final class BusPublisher: Sendable {
    public let source: String
    public let epoch: UInt32
    public let person: String
    /// Next sequence number per topic: a subscriber filtering by prefix still sees an
    /// unbroken run on each topic, so any jump is real loss.
    private let nextSeq = Locked<[String: UInt64]>([:])
    private let queue: HandoffQueue<[Data]>
    private let counters: CounterSet
    private let thread: SocketThread
    /// Whether the PUB socket has a live connection to the bus (its socket monitor's last word).
    private let linked: Locked<Bool>

    /// Connects a publisher to the bus's publish endpoint.
    public init(
        context: ZMQContext, address: BusAddress, source: String, person: String = Person.defaultId,
        counters: CounterSet = CounterSet(), queueCapacity: Int = 100_000, logger: Logger? = nil
    ) throws {
        self.source = source
        self.epoch = UInt32.random(in: 1...UInt32.max)
        self.person = person
        self.counters = counters
        let queue = HandoffQueue<[Data]>(capacity: queueCapacity)
        self.queue = queue
        let ready = SocketThread.Handshake()
        let linked = Locked(false)
        self.linked = linked
        thread = SocketThread(name: "pub-\(source)") {
            let socket: ZMQSocket
            let monitor: ZMQMonitor
            do {
                socket = try ZMQSocket(context: context, type: .pub)
                try socket.setSendHighWaterMark(Int32(clamping: address.highWaterMark))
                // Let queued messages out for a moment at close; never hang.
                try socket.setLinger(milliseconds: 500)
                try socket.setReconnectInterval(milliseconds: 100, max: 1000)
                if let security = address.security { try security.secureClient(socket) }
                monitor = try ZMQMonitor(watching: socket, context: context)
                try socket.connect(address.publish)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer {
                socket.close()
                monitor.close()
            }
            /// A connection is live once its handshake is done, and until it is disconnected.
            func watch() {
                for event in monitor.drain() {
                    switch event.event {
                    case ZMQMonitorEvent.handshakeSucceeded: linked.withLock { $0 = true }
                    case ZMQMonitorEvent.disconnected: linked.withLock { $0 = false }
                    default: break
                    }
                }
            }
            while let batch = queue.takeBatch(timeout: 0.1) {
                watch()
                for frames in batch {
                    do {
                        try socket.send(frames)
                    } catch let error as SpasmError where error.isTerminated {
                        return
                    } catch {
                        counters.add("bus.send_failed")
                        logger?.warning("publish failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        try ready.wait()
    }

    /// Stamps a header for a new message of this sender.
    public func makeHeader(
        topic: String, type: String, id: UUID = .timeOrdered(), person: String? = nil,
        time: Double = Date().timeIntervalSince1970
    ) -> EnvelopeHeader {
        /// Takes the topic's next number and moves it on (one dictionary look-up).
        func take(_ next: inout UInt64) -> UInt64 {
            defer { next += 1 }
            return next
        }
        let seq = nextSeq.withLock { take(&$0[topic, default: 0]) }
        return EnvelopeHeader(
            type: type, id: id, source: source, epoch: epoch, seq: seq, time: time,
            person: person ?? self.person)
    }

    /// Publishes a typed message; returns its message id.
    @discardableResult
    public func publish<Body: MessageBody>(
        _ body: Body, topic: String, id: UUID = .timeOrdered(), person: String? = nil,
        payload: Data? = nil
    ) throws -> UUID {
        try publishEncoded(
            topic: topic, type: Body.messageType, id: id, person: person,
            bodyJSON: WireCodec.encode(body), payload: payload)
        return id
    }

    /// Publishes an already-encoded body (outbox re-sends keep id and body, get a new sequence number).
    public func publishEncoded(
        topic: String, type: String, id: UUID, person: String?, bodyJSON: Data,
        payload: Data? = nil
    ) throws {
        publish(batch: [try stamp(topic: topic, type: type, id: id, person: person, bodyJSON: bodyJSON, payload: payload)])
    }

    /// Stamps (sequence number, time) and assembles a message without handing it over yet:
    /// collect several and pass them to `publish(batch:)`, which wakes the socket thread
    /// once for all of them. Sequence numbers are taken here, so publish batches in order.
    public func stamp(
        topic: String, type: String, id: UUID, person: String?, bodyJSON: Data,
        payload: Data? = nil
    ) throws -> [Data] {
        let header = makeHeader(topic: topic, type: type, id: id, person: person)
        let envelope = try WireCodec.assemble(header: header, bodyJSON: bodyJSON)
        var topicText = topic
        var frames = [topicText.withUTF8 { Data(buffer: $0) }, envelope]
        if let payload { frames.append(payload) }
        return frames
    }

    /// Hands stamped messages to the socket thread in one go (never blocks).
    public func publish(batch: [[Data]]) {
        guard !batch.isEmpty else { return }
        let accepted = queue.offer(contentsOf: batch)
        if accepted > 0 { counters.add("bus.published", Int64(accepted)) }
        if accepted < batch.count { counters.add("bus.dropped_queue_full", Int64(batch.count - accepted)) }
    }

    /// Messages waiting for the socket thread.
    public var pending: Int { queue.count }

    /// True while the socket has a live connection to the bus's publish endpoint (its socket
    /// monitor saw the handshake and no disconnection since; updated within 0.1 s). PUB drops
    /// what it sends while this is false.
    public var isConnected: Bool { linked.withLock { $0 } }

    /// Sends what is queued, then closes the socket (linger 500 ms). Blocks the calling thread.
    public func close() {
        queue.close()
        thread.join()
    }

    /// The same, off the cooperative pool.
    public func closeAsync() async {
        queue.close()
        await thread.joinAsync()
    }
}
