import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmReliability
import SpasmStore

/// The store's one writer: a dedicated thread takes messages from the subscriber, commits
/// them in groups (every `commitInterval` seconds or `commitBatch` messages, whichever
/// comes first), and only then sends the stored receipts (and the refused ones). Database work never runs on
/// Swift's cooperative pool.
struct StoreWriter: Service {
    let database: AppDatabase
    let subscriber: BusSubscriber
    let receipts: ReceiptSender
    let commitInterval: Double
    let commitBatch: Int
    let counters: CounterSet
    let logger: Logger

    func run() async throws {
        let (database, subscriber, receipts) = (self.database, self.subscriber, self.receipts)
        let (interval, batchSize, counters, logger) = (commitInterval, commitBatch, self.counters, self.logger)
        let thread = SocketThread(name: "store-writer") {
            let ingestor = StoreIngestor(database: database, counters: counters, logger: logger)
            var pending: [BusMessage] = []
            var deadline: Date?

            func commit() {
                var start = 0
                repeat {
                    let chunk = Array(pending[start..<min(start + batchSize, pending.count)])
                    do {
                        let answers = try ingestor.ingest(chunk)
                        counters.add("store.commits")
                        receipts.send(committed: answers.stored)
                        receipts.send(refused: answers.refused)
                    } catch {
                        // No receipt: the senders' outboxes send these again.
                        counters.add("store.commit_failed")
                        logger.error("commit failed", metadata: ["messages": "\(chunk.count)", "error": "\(error)"])
                        Thread.sleep(forTimeInterval: 0.2)
                    }
                    start += batchSize
                } while start < pending.count
                pending.removeAll(keepingCapacity: true)
                deadline = nil
            }

            while true {
                let timeout = deadline.map { max(0, $0.timeIntervalSinceNow) } ?? 0.5
                guard let batch = subscriber.next(timeout: timeout) else { break }
                if !batch.isEmpty {
                    if pending.isEmpty { deadline = Date().addingTimeInterval(interval) }
                    pending.append(contentsOf: batch)
                }
                if pending.count >= batchSize || (deadline.map { Date() >= $0 } ?? false) || (batch.isEmpty && pending.isEmpty) {
                    commit()  // an empty commit closes idle sensor minutes
                }
            }
            if !pending.isEmpty { commit() }
            do { try ingestor.flushSummaries() } catch {
                logger.error("could not write the last sensor summaries", metadata: ["error": "\(error)"])
            }
        }
        await withGracefulShutdownHandler {
            await thread.joinAsync()
        } onGracefulShutdown: {
            subscriber.stop()
        }
    }
}
