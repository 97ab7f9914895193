import CZeroMQ
import Foundation
import SpasmErrors

/// The socket patterns SpasmWatch uses.
public enum ZMQSocketType: Sendable {
    case pub, sub, xpub, xsub, req, rep, router, dealer, pair, push, pull

    var raw: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        }
    }
}

/// One libzmq socket. Not `Sendable` on purpose: libzmq sockets are not thread-safe, so a
/// socket is created, used and closed by the one thread that owns it.
public final class ZMQSocket {
    /// The raw libzmq handle, for `zmq_poll` and `zmq_proxy`.
    public private(set) var handle: UnsafeMutableRawPointer?
    public let type: ZMQSocketType

    public init(context: ZMQContext, type: ZMQSocketType) throws(SpasmError) {
        guard let h = zmq_socket(context.handle, type.raw) else { throw SpasmError.lastZeroMQ("zmq_socket") }
        handle = h
        self.type = type
        // Never hang on exit: pending outgoing messages are dropped after 0 ms unless the
        // owner asks for more with `setLinger`.
        try setLinger(milliseconds: 0)
    }

    deinit { close() }

    /// Closes the socket; idempotent. Must run on the owner thread, before the context ends.
    public func close() {
        if let h = handle { zmq_close(h) }
        handle = nil
    }

    private func live(_ op: String) throws(SpasmError) -> UnsafeMutableRawPointer {
        guard let h = handle else { throw SpasmError.zeroMQ(errno: ENOTSOCK, operation: op) }
        return h
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(SpasmError) {
        try check(zmq_bind(try live("zmq_bind"), endpoint), "zmq_bind \(endpoint)")
    }

    public func connect(_ endpoint: String) throws(SpasmError) {
        try check(zmq_connect(try live("zmq_connect"), endpoint), "zmq_connect \(endpoint)")
    }

    public func disconnect(_ endpoint: String) throws(SpasmError) {
        try check(zmq_disconnect(try live("zmq_disconnect"), endpoint), "zmq_disconnect \(endpoint)")
    }

    /// The endpoint actually bound (useful after binding `tcp://127.0.0.1:*`).
    public var lastEndpoint: String? {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        guard let h = handle, zmq_getsockopt(h, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return nil }
        return cString(buffer)
    }

    // MARK: Options

    public func setInt32Option(_ option: Int32, _ value: Int32, _ name: String) throws(SpasmError) {
        var v = value
        try check(zmq_setsockopt(try live(name), option, &v, MemoryLayout<Int32>.size), "zmq_setsockopt \(name)")
    }

    public func setInt64Option(_ option: Int32, _ value: Int64, _ name: String) throws(SpasmError) {
        var v = value
        try check(zmq_setsockopt(try live(name), option, &v, MemoryLayout<Int64>.size), "zmq_setsockopt \(name)")
    }

    public func setBytesOption(_ option: Int32, _ bytes: [UInt8], _ name: String) throws(SpasmError) {
        let h = try live(name)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(h, option, $0.baseAddress, $0.count) }
        try check(rc, "zmq_setsockopt \(name)")
    }

    public func setStringOption(_ option: Int32, _ string: String, _ name: String) throws(SpasmError) {
        try setBytesOption(option, Array(string.utf8), name)
    }

    public func getInt32(_ option: Int32, _ name: String) throws(SpasmError) -> Int32 {
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try check(zmq_getsockopt(try live(name), option, &v, &size), "zmq_getsockopt \(name)")
        return v
    }

    /// Whether this socket's context is ending (`shutdown` or `terminate`): a thread that keeps
    /// a socket open while idle asks this now and then and closes it, so `terminate` returns.
    public var contextEnded: Bool {
        do {
            _ = try getInt32(ZMQ_EVENTS, "ZMQ_EVENTS")
            return false
        } catch {
            return error.isTerminated
        }
    }

    /// How long pending messages may delay `close` (ms); 0 drops them, -1 waits forever.
    public func setLinger(milliseconds: Int32) throws(SpasmError) { try setInt32Option(ZMQ_LINGER, milliseconds, "ZMQ_LINGER") }
    /// Queue limit for outgoing messages; 0 means no limit. PUB drops past it, silently.
    public func setSendHighWaterMark(_ n: Int32) throws(SpasmError) { try setInt32Option(ZMQ_SNDHWM, n, "ZMQ_SNDHWM") }
    /// Queue limit for incoming messages; 0 means no limit.
    public func setReceiveHighWaterMark(_ n: Int32) throws(SpasmError) { try setInt32Option(ZMQ_RCVHWM, n, "ZMQ_RCVHWM") }
    /// Receive timeout in ms (-1 blocks forever); a timeout surfaces as EAGAIN.
    public func setReceiveTimeout(milliseconds: Int32) throws(SpasmError) { try setInt32Option(ZMQ_RCVTIMEO, milliseconds, "ZMQ_RCVTIMEO") }
    public func setSendTimeout(milliseconds: Int32) throws(SpasmError) { try setInt32Option(ZMQ_SNDTIMEO, milliseconds, "ZMQ_SNDTIMEO") }
    /// Largest inbound message in bytes; a peer sending more is disconnected. -1 = no limit.
    public func setMaxMessageSize(_ bytes: Int64) throws(SpasmError) { try setInt64Option(ZMQ_MAXMSGSIZE, bytes, "ZMQ_MAXMSGSIZE") }
    /// Queue only to completed connections (avoids filling queues for peers not yet there).
    public func setImmediate(_ on: Bool) throws(SpasmError) { try setInt32Option(ZMQ_IMMEDIATE, on ? 1 : 0, "ZMQ_IMMEDIATE") }
    /// SUB: receive messages whose first frame starts with `prefix` ("" = everything).
    public func subscribe(_ prefix: String) throws(SpasmError) { try setStringOption(ZMQ_SUBSCRIBE, prefix, "ZMQ_SUBSCRIBE") }
    public func unsubscribe(_ prefix: String) throws(SpasmError) { try setStringOption(ZMQ_UNSUBSCRIBE, prefix, "ZMQ_UNSUBSCRIBE") }
    /// Reconnect interval after a lost connection, in ms (libzmq reconnects by itself).
    public func setReconnectInterval(milliseconds: Int32, max: Int32 = 0) throws(SpasmError) {
        try setInt32Option(ZMQ_RECONNECT_IVL, milliseconds, "ZMQ_RECONNECT_IVL")
        try setInt32Option(ZMQ_RECONNECT_IVL_MAX, max, "ZMQ_RECONNECT_IVL_MAX")
    }

    // MARK: CURVE security (tcp endpoints)

    /// Makes this socket a CURVE server with its secret key (Z85, 40 characters).
    public func makeCurveServer(secretKey: String, zapDomain: String = "spasmwatch") throws(SpasmError) {
        try setInt32Option(ZMQ_CURVE_SERVER, Int32(1), "ZMQ_CURVE_SERVER")
        try setStringOption(ZMQ_CURVE_SECRETKEY, secretKey, "ZMQ_CURVE_SECRETKEY")
        try setStringOption(ZMQ_ZAP_DOMAIN, zapDomain, "ZMQ_ZAP_DOMAIN")
    }

    /// Makes this socket a CURVE client of a server whose public key is `serverKey`.
    public func makeCurveClient(serverKey: String, publicKey: String, secretKey: String) throws(SpasmError) {
        try setStringOption(ZMQ_CURVE_SERVERKEY, serverKey, "ZMQ_CURVE_SERVERKEY")
        try setStringOption(ZMQ_CURVE_PUBLICKEY, publicKey, "ZMQ_CURVE_PUBLICKEY")
        try setStringOption(ZMQ_CURVE_SECRETKEY, secretKey, "ZMQ_CURVE_SECRETKEY")
    }

    // MARK: Sending

    /// Sends one message of several frames. With `dontWait`, returns false instead of
    /// blocking when the queue is full (for PUB, libzmq drops instead and this returns true).
    @discardableResult
    public func send(_ parts: [Data], dontWait: Bool = false) throws(SpasmError) -> Bool {
        let h = try live("zmq_send")
        for (i, part) in parts.enumerated() {
            var flags: Int32 = i < parts.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            while true {
                let rc = part.withUnsafeBytes { zmq_send(h, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                let err = SpasmError.lastZeroMQ("zmq_send")
                if err.isInterrupted { continue }
                if err.isAgain && dontWait && i == 0 { return false }
                throw err
            }
        }
        return true
    }

    /// Sends one single-frame message.
    @discardableResult
    public func send(_ part: Data, dontWait: Bool = false) throws(SpasmError) -> Bool {
        try send([part], dontWait: dontWait)
    }

    // MARK: Receiving

    /// Receives all frames of one message. Returns nil when nothing arrived: `dontWait` was
    /// set, or the receive timeout expired. Throws ETERM when the context is shutting down.
    public func receiveMultipart(dontWait: Bool = false) throws(SpasmError) -> [Data]? {
        try receive(dontWait: dontWait, userId: nil)
    }

    /// Like `receiveMultipart`, and also the message's ZAP user id (`zmq_msg_gets(msg,
    /// "User-Id")`: on a CURVE server socket, the name the ZAP handler gave the sender's key;
    /// nil without ZAP, e.g. on ipc).
    public func receiveMultipartWithUserId(dontWait: Bool = false) throws(SpasmError) -> (parts: [Data], userId: String?)? {
        var userId: String?
        guard let parts = try receive(dontWait: dontWait, userId: &userId) else { return nil }
        return (parts, userId)
    }

    /// `receiveBatch` with each message's ZAP user id.
    public func receiveBatchWithUserId(limit: Int) throws(SpasmError) -> [(parts: [Data], userId: String?)] {
        guard let first = try receiveMultipartWithUserId() else { return [] }
        var batch = [first]
        while batch.count < limit, let more = try? receiveMultipartWithUserId(dontWait: true) { batch.append(more) }
        return batch
    }

    /// One message; reads the ZAP user id of its first frame only when `userId` is given, so
    /// the plain receive path costs nothing more.
    private func receive(dontWait: Bool, userId: UnsafeMutablePointer<String?>?) throws(SpasmError) -> [Data]? {
        let h = try live("zmq_msg_recv")
        var parts: [Data] = []
        // One message object, passed inout: libzmq forbids copying zmq_msg_t by value.
        var msg = zmq_msg_t()
        zmq_msg_init(&msg)
        defer { zmq_msg_close(&msg) }
        while true {
            let rc = zmq_msg_recv(&msg, h, dontWait && parts.isEmpty ? ZMQ_DONTWAIT : 0)
            if rc < 0 {
                let err = SpasmError.lastZeroMQ("zmq_msg_recv")
                if err.isInterrupted { continue }
                if err.isAgain && parts.isEmpty { return nil }
                throw err
            }
            if parts.isEmpty, let userId, let value = zmq_msg_gets(&msg, "User-Id") {
                userId.pointee = String(cString: value)
            }
            let size = zmq_msg_size(&msg)
            parts.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(&msg), count: size))
            if zmq_msg_more(&msg) == 0 { return parts }
        }
    }

    /// Waits for one message (up to the receive timeout), then takes whatever else has
    /// already arrived, up to `limit` messages in all, so a burst costs one wake-up.
    /// Returns [] on timeout. An error before the first message is thrown; one after it
    /// ends the batch early (the next call meets it again).
    public func receiveBatch(limit: Int) throws(SpasmError) -> [[Data]] {
        guard let first = try receiveMultipart() else { return [] }
        var batch = [first]
        while batch.count < limit, let more = try? receiveMultipart(dontWait: true) { batch.append(more) }
        return batch
    }
}

/// CURVE key pairs (Z85 text, 40 characters each).
public enum CurveKeys {
    public static func generate() throws(SpasmError) -> (publicKey: String, secretKey: String) {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_keypair(&pub, &sec), "zmq_curve_keypair")
        return (cString(pub), cString(sec))
    }

    /// The public key that belongs to a secret key.
    public static func publicKey(forSecret secret: String) throws(SpasmError) -> String {
        var pub = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_public(&pub, secret), "zmq_curve_public")
        return cString(pub)
    }

    /// Z85-encodes 32 raw key bytes (as ZAP hands them over).
    public static func z85(_ raw: Data) -> String {
        var out = [CChar](repeating: 0, count: raw.count * 5 / 4 + 1)
        raw.withUnsafeBytes { _ = zmq_z85_encode(&out, $0.bindMemory(to: UInt8.self).baseAddress, raw.count) }
        return cString(out)
    }
}

/// Text from a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
