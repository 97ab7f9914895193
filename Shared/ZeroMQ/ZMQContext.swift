import CZeroMQ
import SpasmSync

/// A libzmq context. libzmq documents contexts as thread-safe, so one may be shared by the
/// threads that each own a socket.
public final class ZMQContext: @unchecked Sendable {
    // Safe: libzmq contexts are thread-safe (zmq_ctx_new(3)); the pointer is immutable.
    let handle: UnsafeMutableRawPointer
    private let terminated = Locked(false)

    public init(ioThreads: Int32 = 1) {
        handle = zmq_ctx_new()
        zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads)
        // Allow many sockets on a busy home server (default 1023).
        zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, 4096)
    }

    /// Makes every blocking call on this context's sockets fail with ETERM, so their owner
    /// threads can close them. Safe to call from any thread.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// Terminates the context; blocks until every socket is closed (linger is set on ours).
    public func terminate() {
        let first = terminated.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }

    deinit { terminate() }

    /// The libzmq version as "major.minor.patch".
    public static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Whether libzmq was built with a capability ("curve", "ipc", ...).
    public static func has(_ capability: String) -> Bool { zmq_has(capability) == 1 }
}
