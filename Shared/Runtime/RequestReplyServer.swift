import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmErrors
import SpasmSchema
import SpasmSync
import Synchronization
import ZeroMQ

/// A request/reply endpoint for clients with REQ (or DEALER) sockets: a ROUTER socket bound
/// at `endpoint`, owned by its own thread. Each request (its one part, JSON) is decoded into
/// `Request` on that thread and answered with a `Reply`, which goes back to the same client
/// as JSON. Binds in `init`, so a bad endpoint fails the start instead of a later request.
/// The store's queries, sensor ingestion's requests and the diary's CLI requests use it;
/// `RequestClient` is the other side.
///
/// Two kinds of handler: `answer` runs on the socket thread itself (for quick or blocking
/// work such as a database read, which must stay off the cooperative pool); `handler` is
/// async (an actor's method): the socket thread hands it the request and waits for its reply,
/// blocking only itself.
///
/// A request over `maxRequestBytes` is not decoded: it gets
/// `{"ok":false,"error":"request is N bytes; at most M bytes are allowed"}` (counted as
/// `<prefix>.too_large`). The socket itself takes up to `MessageLimits.socketBytes`, so such
/// a request reaches this check; beyond that libzmq drops the peer without a reply. A
/// request of other than one part gets `"expected one part (the request's JSON), got N parts"`
/// (`<prefix>.wrong_parts`). One that does not decode gets `refuse(error, bytes)`, the
/// service's own sentence naming what is wrong (`<prefix>.refused`).
public final class RequestReplyServer<Request: Decodable & Sendable, Reply: Encodable & Sendable>: Service, Sendable {
    public typealias Decode = @Sendable (Data) throws -> Request
    private let stopped = Atomic<Bool>(false)
    private let done = SocketThread.Handshake()

    /// Answers on the socket thread. With `counters`, `<prefix>.answered` and
    /// `<prefix>.reply_failed` are counted too.
    public init(
        name: String, context: ZMQContext, endpoint: String, counters: CounterSet? = nil, counterPrefix: String = "requests",
        maxRequestBytes: Int = MessageLimits.requestBytes, logger: Logger,
        decode: @escaping Decode = { try JSONDecoder().decode(Request.self, from: $0) },
        refuse: @escaping @Sendable (_ error: Error, _ request: Data) -> Reply,
        answer: @escaping @Sendable (Request) -> Reply
    ) throws {
        let ready = SocketThread.Handshake()
        let reply: @Sendable (Data) -> Data = { data in
            let reply: Reply
            do {
                reply = answer(try decode(data))
            } catch {
                counters?.add("\(counterPrefix).refused")
                reply = refuse(error, data)
            }
            return (try? WireCodec.encode(reply)) ?? Self.error("could not encode the reply")
        }
        _ = SocketThread(name: name) { [self] in
            defer { done.succeed() }
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .router)
                try socket.setReceiveTimeout(milliseconds: 100)
                try socket.setSendTimeout(milliseconds: 1000)
                try socket.setMaxMessageSize(Int64(max(MessageLimits.socketBytes, maxRequestBytes * 2)))
                try socket.bind(endpoint)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer { socket.close() }
            while !stopped.load(ordering: .relaxed) {
                let frames: [Data]?
                do {
                    frames = try socket.receiveMultipart()
                } catch {
                    if let zmqError = error as? SpasmError, zmqError.isTerminated { return }
                    logger.warning("request receive failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                    continue
                }
                guard let frames, let routed = RoutedRequest(frames) else { continue }
                let parts = routed.parts.count
                let request = routed.parts.last ?? Data()
                let answered: Data
                if parts != 1 {
                    counters?.add("\(counterPrefix).wrong_parts")
                    answered = Self.error("expected one part (the request's JSON), got \(parts) parts")
                } else if request.count > maxRequestBytes {
                    counters?.add("\(counterPrefix).too_large")
                    answered = Self.error(MessageLimits.tooLarge("request", bytes: request.count, limit: maxRequestBytes))
                } else {
                    answered = reply(request)
                    counters?.add("\(counterPrefix).answered")
                }
                do {
                    try socket.send(routed.reply(answered))
                } catch {
                    if let zmqError = error as? SpasmError, zmqError.isTerminated { return }
                    counters?.add("\(counterPrefix).reply_failed")
                    logger.warning("reply failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                }
            }
        }
        try ready.wait()
    }

    /// Answers with an async `handler` (e.g. an actor's method): the socket thread, never a
    /// thread of the cooperative pool, waits for each reply.
    public convenience init(
        name: String, context: ZMQContext, endpoint: String, counters: CounterSet? = nil,
        counterPrefix: String = "requests", maxRequestBytes: Int = MessageLimits.requestBytes, logger: Logger,
        decode: @escaping Decode = { try JSONDecoder().decode(Request.self, from: $0) },
        refuse: @escaping @Sendable (_ error: Error, _ request: Data) -> Reply,
        handler: @escaping @Sendable (Request) async -> Reply
    ) throws {
        try self.init(
            name: name, context: context, endpoint: endpoint, counters: counters, counterPrefix: counterPrefix,
            maxRequestBytes: maxRequestBytes, logger: logger, decode: decode, refuse: refuse
        ) { request in
            let reply = Locked<Reply?>(nil)
            let answered = SocketThread.Handshake()
            Task {
                let value = await handler(request)
                reply.withLock { $0 = value }
                answered.succeed()
            }
            try? answered.wait()  // blocks the socket thread only
            return reply.withLock { $0! }
        }
    }

    /// `{"ok":false,"error":…}`, the reply to a request the layer itself refuses.
    static func error(_ message: String) -> Data {
        (try? JSONSerialization.data(withJSONObject: ["ok": false, "error": message])) ?? Data(#"{"ok":false}"#.utf8)
    }

    /// Serves until graceful shutdown (or cancellation), then closes the socket.
    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled && !stopped.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(100))
            }
        } onGracefulShutdown: {
            self.stopped.store(true, ordering: .relaxed)
        }
        stopped.store(true, ordering: .relaxed)
        try? await done.value()
    }
}

/// One request as a ROUTER socket receives it: `[client identity][empty delimiter][parts…]`,
/// where a DEALER client may leave the delimiter out. The reply goes back behind `envelope`.
/// `RequestReplyServer` and sensor ingestion's producer endpoint both read requests this way.
public struct RoutedRequest {
    /// The identity, and the delimiter when the client sent one.
    public let envelope: [Data]
    public let parts: ArraySlice<Data>

    /// Nil for fewer than two frames (nothing a client sends).
    public init?(_ frames: [Data]) {
        guard frames.count >= 2 else { return nil }
        envelope = frames[1].isEmpty ? [frames[0], Data()] : [frames[0]]
        parts = frames.dropFirst(envelope.count)
    }

    public var identity: Data { envelope[0] }

    /// The frames that send `reply` back to this client.
    public func reply(_ reply: Data) -> [Data] { envelope + [reply] }
}
