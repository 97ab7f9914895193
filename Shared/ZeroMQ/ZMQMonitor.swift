import CZeroMQ
import Foundation
import SpasmErrors

/// One event from libzmq's socket monitor (zmq_socket_monitor(3)).
public struct ZMQMonitorEvent: Sendable, Equatable {
    /// A `ZMQ_EVENT_*` value.
    public let event: UInt16
    /// The event's value (a file descriptor, an errno, an interval), as libzmq sends it.
    public let value: UInt32
    /// The endpoint the event concerns.
    public let endpoint: String

    public static let connected = UInt16(ZMQ_EVENT_CONNECTED)
    public static let disconnected = UInt16(ZMQ_EVENT_DISCONNECTED)
    public static let handshakeSucceeded = UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    public static let monitorStopped = UInt16(ZMQ_EVENT_MONITOR_STOPPED)
    /// The peer refused our credentials (CURVE key not allowed here); `value` is the ZAP status.
    public static let handshakeFailedAuth = UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    /// A mask of every event, for `ZMQMonitor(watching:context:events:)`.
    public static let allEvents = Int32(ZMQ_EVENT_ALL)
}

/// The watching end of a socket monitor: libzmq reports the watched socket's connection
/// events on an inproc PAIR socket, which this reads without blocking. Like the socket it
/// watches, it belongs to one thread: create, drain and close it on the socket's owner thread.
public final class ZMQMonitor {
    private let pair: ZMQSocket
    public let endpoint: String

    /// Starts monitoring `socket` for `events` (a mask of `ZMQ_EVENT_*`; the default: a
    /// connection made, its handshake done, and a disconnection).
    public init(
        watching socket: ZMQSocket, context: ZMQContext,
        events: Int32 = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
    ) throws(SpasmError) {
        guard let watched = socket.handle else { throw SpasmError.zeroMQ(errno: ENOTSOCK, operation: "zmq_socket_monitor") }
        endpoint = "inproc://monitor-\(UUID().uuidString)"
        try check(zmq_socket_monitor(watched, endpoint, events), "zmq_socket_monitor \(endpoint)")
        pair = try ZMQSocket(context: context, type: .pair)
        try pair.connect(endpoint)
    }

    /// The events that have arrived, oldest first (never blocks).
    public func drain() -> [ZMQMonitorEvent] {
        var events: [ZMQMonitorEvent] = []
        while let parts = try? pair.receiveMultipart(dontWait: true) {
            // [6 bytes: uint16 event, uint32 value, host order][endpoint]
            guard parts.count == 2, parts[0].count == 6 else { continue }
            let head = [UInt8](parts[0])
            let event = UInt16(head[0]) | UInt16(head[1]) << 8
            let value = UInt32(head[2]) | UInt32(head[3]) << 8 | UInt32(head[4]) << 16 | UInt32(head[5]) << 24
            events.append(
                ZMQMonitorEvent(
                    event: UInt16(littleEndian: event), value: UInt32(littleEndian: value),
                    endpoint: String(decoding: parts[1], as: UTF8.self)))
        }
        return events
    }

    /// Closes the watching socket (the monitor stops with the watched socket).
    public func close() { pair.close() }
}
