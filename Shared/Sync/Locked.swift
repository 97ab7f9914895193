import Foundation

/// A value guarded by a lock, with the same `withLock` shape as Synchronization's `Mutex`.
///
/// Why not `Mutex`: on Linux its slow path uses priority-inheritance futexes
/// (`FUTEX_LOCK_PI`), which some sandboxed kernels do not support; a process here once died
/// with "Unknown error occurred while attempting to acquire a Mutex" (possibly a stale
/// incremental build, but an ordinary pthread mutex, NSLock, avoids the question).
public final class Locked<Value>: @unchecked Sendable {
    // Safe: `value` is only read or written inside `withLock`, while `lock` is held.
    // Inlinable (hence `@usableFromInline`), so callers in other modules get `withLock`
    // specialized instead of a generic call on every use (the bus takes it per message).
    @usableFromInline var value: Value
    @usableFromInline let lock = NSLock()

    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
