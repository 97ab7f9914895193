import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmSchema

/// Sends what must never be lost (diary entries, episodes, alerts, deliveries): each
/// message goes into the outbox first, is published, and is re-published with the same
/// id every `resendInterval` until storage's receipt on `stored.<source>` names it.
public final class ReliableSender: Service, Sendable {
    public let outbox: Outbox
    let publisher: BusPublisher
    let receipts: BusSubscriber
    let counters: CounterSet
    let resendInterval: Double
    let logger: Logger

    /// `receipts` must be subscribed to `Topic.stored(publisher.source)`.
    public init(
        outbox: Outbox, publisher: BusPublisher, receipts: BusSubscriber, counters: CounterSet,
        resendInterval: Double = 2, logger: Logger
    ) {
        self.outbox = outbox
        self.publisher = publisher
        self.receipts = receipts
        self.counters = counters
        self.resendInterval = resendInterval
        self.logger = logger
    }

    /// Writes the message to the outbox (durable on return), then publishes it.
    @discardableResult
    public func send<Body: MessageBody>(
        _ body: Body, topic: String, id: UUID = .timeOrdered(), person: String? = nil,
        payload: Data? = nil
    ) async throws -> UUID {
        let item = try await outbox.add(body, topic: topic, id: id, person: person ?? publisher.person, payload: payload)
        try publish(item)
        try await outbox.markSent([item.id])
        return item.id
    }

    private func publish(_ item: OutboxItem) throws {
        try publisher.publishEncoded(
            topic: item.topic, type: item.type, id: item.id, person: item.person,
            bodyJSON: item.body, payload: item.payload)
        counters.add("outbox.published")
    }

    /// Re-sends what is due now; returns how many were sent.
    @discardableResult
    public func resendDue() async throws -> Int {
        let cutoff = Date().timeIntervalSince1970 - resendInterval
        let due = try await outbox.due(sentBefore: cutoff)
        for item in due { try publish(item) }
        if !due.isEmpty {
            try await outbox.markSent(due.map(\.id))
            counters.add("outbox.resent", Int64(due.filter { $0.attempts > 0 }.count))
        }
        counters.set("outbox.pending", Int64(try await outbox.pendingCount()))
        return due.count
    }

    /// Applies one receipt message: `stored` confirms, `refused` moves the messages to the
    /// outbox's refused table (not re-sent, kept with storage's reason).
    public func apply(receipt: BusMessage) async {
        if receipt.header.type == RefusedReceipt.messageType {
            guard let envelope = try? receipt.decode(RefusedReceipt.self), envelope.body.forSource == publisher.source else { return }
            do {
                let refusals = envelope.body.refused
                let moved = try await outbox.refuse(refusals.map { ($0.id, $0.reason) })
                counters.add("outbox.refused", Int64(moved))
                counters.add("outbox.refused_again", Int64(refusals.count - moved))
                for refusal in refusals where moved > 0 {
                    logger.warning(
                        "storage refused a message; kept in the outbox's refused table, not re-sent",
                        metadata: ["id": "\(refusal.id)", "type": "\(refusal.type)", "reason": "\(refusal.reason)"])
                }
            } catch {
                logger.error("outbox refuse failed", metadata: ["error": "\(error)"])
            }
            return
        }
        guard let envelope = try? receipt.decode(StoredReceipt.self), envelope.body.forSource == publisher.source else { return }
        do {
            let removed = try await outbox.confirm(envelope.body.ids)
            counters.add("outbox.confirmed", Int64(removed))
        } catch {
            logger.error("outbox confirm failed", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in self.receipts.messages { await self.apply(receipt: message) }
                }
                group.addTask {
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        do { try await self.resendDue() } catch {
                            self.logger.error("outbox re-send failed", metadata: ["error": "\(error)"])
                        }
                        try? await Task.sleep(for: .milliseconds(Int64(self.resendInterval * 500)))
                    }
                    self.receipts.stop()
                }
                await group.waitForAll()
            }
        } onGracefulShutdown: {
            self.receipts.stop()
        }
    }
}

/// Storage's side of the contract: after a commit, tell each sender which of its message
/// ids are now durable (one `stored.<source>` message per sender, in chunks).
public struct ReceiptSender: Sendable {
    let publisher: BusPublisher
    public var chunkSize = 500

    public init(publisher: BusPublisher) { self.publisher = publisher }

    /// `committed`: (sender, message id) pairs just committed.
    public func send(committed: [(source: String, id: UUID)]) {
        var bySource: [String: [UUID]] = [:]
        for entry in committed { bySource[entry.source, default: []].append(entry.id) }
        for (source, ids) in bySource {
            var start = 0
            while start < ids.count {
                let chunk = Array(ids[start..<min(start + chunkSize, ids.count)])
                _ = try? publisher.publish(StoredReceipt(forSource: source, ids: chunk), topic: Topic.stored(source))
                start += chunkSize
            }
        }
    }

    /// `refused`: (sender, message id, type, reason) of reliable messages storage will never
    /// keep; one `refused` message per sender on `stored.<source>`, in chunks.
    public func send(refused: [(source: String, refusal: RefusedReceipt.Refusal)]) {
        var bySource: [String: [RefusedReceipt.Refusal]] = [:]
        for entry in refused { bySource[entry.source, default: []].append(entry.refusal) }
        for (source, refusals) in bySource {
            var start = 0
            while start < refusals.count {
                let chunk = Array(refusals[start..<min(start + chunkSize, refusals.count)])
                _ = try? publisher.publish(RefusedReceipt(forSource: source, refused: chunk), topic: Topic.stored(source))
                start += chunkSize
            }
        }
    }
}
