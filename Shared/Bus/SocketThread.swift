import Foundation

/// A dedicated OS thread that owns one ZeroMQ socket for its whole life (libzmq sockets are
/// not thread-safe, and blocking zmq calls must stay off Swift's cooperative pool).
public final class SocketThread: Sendable {
    private let done = Handshake()

    public init(name: String, body: @escaping @Sendable () -> Void) {
        let done = self.done
        let thread = Thread {
            body()
            done.succeed()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Blocks until the thread's body has returned.
    public func join() {
        try? done.wait()
    }

    /// Waits for the thread's body to return without blocking the cooperative pool.
    public func joinAsync() async {
        await offPool { self.join() }
    }

    /// A one-shot signal between threads, carrying success or an error.
    public final class Handshake: @unchecked Sendable {
        // Safe: `result` is only touched while `condition` is locked.
        private let condition = NSCondition()
        private var result: Result<Void, Error>?

        public init() {}

        public func succeed() { finish(.success(())) }
        public func fail(_ error: Error) { finish(.failure(error)) }

        private func finish(_ value: Result<Void, Error>) {
            condition.lock()
            if result == nil { result = value }
            condition.broadcast()
            condition.unlock()
        }

        public func wait() throws {
            condition.lock()
            while result == nil { condition.wait() }
            let r = result!
            condition.unlock()
            try r.get()
        }
    }
}

/// Runs blocking work (a zmq call, a thread join) on a fresh OS thread and awaits it, so
/// Swift's cooperative pool is never blocked.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
        Thread.detachNewThread { c.resume(returning: body()) }
    }
}
