import CZeroMQ
import SpasmErrors

/// Waits on several sockets owned by the calling thread (zmq_poll).
public struct ZMQPoller {
    private var items: [zmq_pollitem_t] = []

    public init() {}

    /// Adds a socket to watch for incoming messages; returns its index.
    @discardableResult
    public mutating func add(_ socket: ZMQSocket, readable: Bool = true, writable: Bool = false) -> Int {
        var events: Int16 = 0
        if readable { events |= Int16(ZMQ_POLLIN) }
        if writable { events |= Int16(ZMQ_POLLOUT) }
        items.append(zmq_pollitem_t(socket: socket.handle, fd: -1, events: events, revents: 0))
        return items.count - 1
    }

    /// Waits up to `timeoutMilliseconds` (-1 forever). Returns the indexes that are readable.
    public mutating func poll(timeoutMilliseconds: Int) throws(SpasmError) -> [Int] {
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds) }
        if rc < 0 {
            let err = SpasmError.lastZeroMQ("zmq_poll")
            if err.isInterrupted { return [] }
            throw err
        }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

/// The libzmq built-in proxy, run on the calling thread until the context ends or the
/// control socket receives "TERMINATE".
public enum ZMQProxy {
    public static func run(
        frontend: ZMQSocket, backend: ZMQSocket, capture: ZMQSocket? = nil,
        control: ZMQSocket? = nil
    ) throws(SpasmError) {
        let rc = zmq_proxy_steerable(frontend.handle, backend.handle, capture?.handle, control?.handle)
        if rc == -1 {
            let err = SpasmError.lastZeroMQ("zmq_proxy_steerable")
            if err.isTerminated { return }
            throw err
        }
    }
}
