import Foundation
import SpasmSync

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
        try? await done.value()
    }

    /// Runs `body` on a new dedicated thread and awaits its result: for one-shot work that
    /// owns ZeroMQ sockets (it creates, uses and closes them) or runs unbounded (`spasmwatch
    /// tail`). Short blocking work that owns no socket goes to `onBlockingPool` instead.
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        let result = Locked<T?>(nil)
        let thread = SocketThread(name: name) { result.withLock { $0 = body() } }
        await thread.joinAsync()
        return result.withLock { $0! }
    }

    /// A one-shot signal between threads, carrying success or an error; a thread waits with
    /// `wait()`, async code with `value()` (which blocks no thread).
    public final class Handshake: @unchecked Sendable {
        // Safe: `result` and `waiters` are only touched while `condition` is locked.
        private let condition = NSCondition()
        private var result: Result<Void, Error>?
        private var waiters: [CheckedContinuation<Void, Error>] = []

        public init() {}

        public func succeed() { finish(.success(())) }
        public func fail(_ error: Error) { finish(.failure(error)) }

        private func finish(_ value: Result<Void, Error>) {
            condition.lock()
            if result == nil { result = value }
            let resumed = waiters
            waiters = []
            let r = result!
            condition.broadcast()
            condition.unlock()
            for waiter in resumed { waiter.resume(with: r) }
        }

        /// Waits without blocking a thread of the cooperative pool.
        public func value() async throws {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                condition.lock()
                if let r = result {
                    condition.unlock()
                    c.resume(with: r)
                } else {
                    waiters.append(c)
                    condition.unlock()
                }
            }
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
