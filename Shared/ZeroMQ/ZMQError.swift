import CZeroMQ

/// An error from libzmq that keeps its errno, so callers can tell EAGAIN (would block or
/// timed out), ETERM (context shutting down) and EINTR (signal) apart from real faults.
public struct ZMQError: Error, CustomStringConvertible, Equatable, Sendable {
    public let errno: Int32
    public let operation: String

    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
    }

    /// Reads `zmq_errno()` right after a failed call.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(errno: zmq_errno(), operation: operation)
    }

    /// The call would block, or a receive/send timeout expired.
    public var isAgain: Bool { errno == EAGAIN }
    /// The context was terminated: the socket's owner should close it and leave.
    public var isTerminated: Bool { errno == ETERM }
    /// A signal interrupted the call; retrying is safe.
    public var isInterrupted: Bool { errno == EINTR }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(errno))) (errno \(errno))"
    }
}

@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(ZMQError) {
    if rc == -1 { throw ZMQError.last(operation()) }
}
