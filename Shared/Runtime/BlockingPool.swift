import NIOPosix

/// Runs short blocking work that owns no ZeroMQ socket (a backup, a subprocess, a thread
/// join, a context's end) on NIO's one shared thread pool, so Swift's cooperative pool is
/// never blocked and no OS thread is started per call. Socket work stays on its socket's
/// own thread (`SocketThread`, `SocketThread.run`).
public func onBlockingPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    do {
        return try await NIOThreadPool.singleton.runIfActive(body)
    } catch {
        // Only a pool that was shut down refuses work; the singleton never is.
        preconditionFailure("the shared blocking pool refused work: \(error)")
    }
}

/// `onBlockingPool` for work that throws.
public func onBlockingPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
