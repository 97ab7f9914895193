import Foundation
import ServiceLifecycle
import SpasmBus
import SpasmRuntime

/// Saves accepted counts for async callers (the HTTP endpoint) on one dedicated thread, so
/// no request handler blocks Swift's cooperative pool on a SQLite write. Requests that arrive
/// while a commit runs share the next one (one transaction for all of them). A request hears
/// "accepted" only after the commit that holds its frame, as on the ZeroMQ path, whose
/// socket thread saves itself. The thread starts with the writer; at a clean shutdown (the
/// service's graceful shutdown, after the HTTP server has stopped) it saves what is left.
final class AcceptedCountsWriter: Service, Sendable {
    let counts: AcceptedCounts
    private let waiting: HandoffQueue<CheckedContinuation<Void, any Error>>
    private let thread: SocketThread

    init(counts: AcceptedCounts) {
        let waiting = HandoffQueue<CheckedContinuation<Void, any Error>>(capacity: 1 << 16)
        self.counts = counts
        self.waiting = waiting
        thread = SocketThread(name: "sensor-counts") {
            while let batch = waiting.takeBatch(timeout: 1) {
                guard !batch.isEmpty else { continue }
                do {
                    try counts.save()
                    for c in batch { c.resume() }
                } catch {
                    for c in batch { c.resume(throwing: error) }
                }
            }
            // Closed: whatever was noted and not saved yet.
            try? counts.save()
        }
    }

    /// Returns once every frame noted so far is committed. After shutdown (or with the queue
    /// full) the save runs on the shared blocking pool: still never on the cooperative pool.
    func save() async throws {
        let (waiting, counts) = (self.waiting, self.counts)
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            if waiting.offer(c) { return }
            Task {
                do {
                    try await onBlockingPool { try counts.save() }
                    c.resume()
                } catch { c.resume(throwing: error) }
            }
        }
    }

    /// Stops the thread after its last save.
    func close() async {
        waiting.close()
        await thread.joinAsync()
    }

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
