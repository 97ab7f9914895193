import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// What the CLI must not lose (acknowledgements, "no" confirmations, test alerts) goes
/// through its own durable outbox (`<data>/outbox-cli.sqlite`, source `cli`): the CLI
/// publishes, re-sends every second, and waits a little for storage's stored receipt.
/// Anything still unconfirmed when it exits is re-sent the next time the CLI sends.
final class ReliableCLISender {
    let context = ZMQContext()
    let publisher: BusPublisher
    let receipts: BusSubscriber
    let outbox: Outbox
    let sender: ReliableSender
    private var sent: [UUID] = []

    init(home: DataHome, configuration: Configuration) throws {
        try home.prepare(groupAccess: configuration.bus.groupAccess)
        let address = try BusAddress.resolve(home: home, configuration: configuration)
        publisher = try BusPublisher(context: context, address: address, source: "cli", person: configuration.person)
        receipts = try BusSubscriber(context: context, address: address, prefixes: [Topic.stored("cli")])
        outbox = try Outbox.open(url: home.outbox(for: "cli"))
        sender = ReliableSender(
            outbox: outbox, publisher: publisher, receipts: receipts, counters: CounterSet(),
            resendInterval: 1, logger: Logger(label: "spasmwatch"))
    }

    private var warmedUp = false

    /// Saves the message in the outbox, then publishes it.
    @discardableResult
    func send<Body: MessageBody>(_ body: Body, topic: String, id: UUID = .timeOrdered(), person: String) async throws -> UUID {
        if !warmedUp {
            // Give the new connection a moment to learn the bus's subscriptions (slow
            // joiner), so the first copy is not dropped at our own socket.
            try await Task.sleep(for: .milliseconds(300))
            warmedUp = true
        }
        let id = try await sender.send(body, topic: topic, id: id, person: person)
        sent.append(id)
        return id
    }

    /// Re-sends every second until storage has confirmed what this run sent, or `seconds`
    /// have passed. True when everything was confirmed; throws `refusedByStorage` (naming
    /// storage's reason) when storage refused any of it: a refusal is not a confirmation.
    func waitForReceipts(seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        let receipts = self.receipts
        while Date() < deadline {
            let batch = await onBlockingPool { receipts.next(timeout: 0.3) } ?? []
            for message in batch { await sender.apply(receipt: message) }
            let refused = try await outbox.refused().filter { sent.contains($0.id) }
            if !refused.isEmpty { throw SpasmError.refusedByStorage(refused) }
            let pending = Set(try await outbox.all().map(\.id))
            if sent.allSatisfy({ !pending.contains($0) }) { return true }
            try await sender.resendDue()
        }
        return false
    }

    /// Takes a message out of the outbox unsent-again: a test alert that no running
    /// notify heard must not surprise anybody when a later run re-sends it.
    func withdraw(_ id: UUID) async throws {
        _ = try await outbox.confirm([id])
        sent.removeAll { $0 == id }
    }

    func close() async {
        await receipts.closeAsync()
        await publisher.closeAsync()
        let context = self.context
        await onBlockingPool { context.terminate() }
    }
}

extension SpasmError {
    /// What storage refused of this run's messages, with its reason (exit status non-zero).
    static func refusedByStorage(_ items: [RefusedItem]) -> SpasmError {
        SpasmError(
            .refusedByStorage,
            items.map {
                "storage refused the \($0.type) \(String($0.id.uuidString.lowercased().prefix(8))): \($0.reason) "
                    + "(kept in data/outbox-cli.sqlite, not re-sent; spasmwatch status lists it)"
            }.joined(separator: "\n"))
    }
}
