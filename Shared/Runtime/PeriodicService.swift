import ServiceLifecycle

/// Runs `job` every `period` until graceful shutdown or cancellation: the one periodic loop
/// (heartbeats, housekeeping, the outbox watch, the flare-up check, engine statistics,
/// notify's tick). The first run is after `firstRunAfter` (default: at once). A sleep ends
/// early on shutdown, so a long period never delays it; a job that is running finishes.
public struct PeriodicService: Service {
    let period: Duration
    let firstRunAfter: Duration
    let job: @Sendable () async -> Void

    public init(every period: Duration, firstRunAfter: Duration = .zero, job: @escaping @Sendable () async -> Void) {
        self.period = period
        self.firstRunAfter = firstRunAfter
        self.job = job
    }

    public func run() async throws {
        if firstRunAfter > .zero, !(await Self.sleep(firstRunAfter)) { return }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await job()
            guard await Self.sleep(period) else { return }
        }
    }

    /// False when shutdown (or cancellation) cut the sleep short.
    static func sleep(_ duration: Duration) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
        } catch {
            return false
        }
        return !Task.isShuttingDownGracefully && !Task.isCancelled
    }
}
