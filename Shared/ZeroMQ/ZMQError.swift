import CZeroMQ
import SpasmErrors

extension SpasmError.Code {
    /// A libzmq call failed; `errorNumber` keeps its errno.
    public static let zeroMQ = SpasmError.Code("zeromq")
}

/// libzmq's errors keep their errno (`errorNumber`), so callers can tell EAGAIN (would block
/// or timed out), ETERM (context shutting down) and EINTR (signal) apart from real faults.
extension SpasmError {
    public static func zeroMQ(errno: Int32, operation: String) -> SpasmError {
        SpasmError(
            .zeroMQ, "\(operation): \(String(cString: zmq_strerror(errno))) (errno \(errno))",
            detail: operation, errorNumber: errno)
    }

    /// Reads `zmq_errno()` right after a failed call.
    static func lastZeroMQ(_ operation: String) -> SpasmError {
        zeroMQ(errno: zmq_errno(), operation: operation)
    }

    /// The call would block, or a receive/send timeout expired.
    public var isAgain: Bool { code == .zeroMQ && errorNumber == EAGAIN }
    /// The context was terminated: the socket's owner should close it and leave.
    public var isTerminated: Bool { code == .zeroMQ && errorNumber == ETERM }
    /// A signal interrupted the call; retrying is safe.
    public var isInterrupted: Bool { code == .zeroMQ && errorNumber == EINTR }
}

@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(SpasmError) {
    if rc == -1 { throw SpasmError.lastZeroMQ(operation()) }
}
