import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import Synchronization
import ZeroMQ

/// A request/reply endpoint for clients with REQ sockets: a ROUTER socket bound at
/// `endpoint`, owned by its own thread. Each request (its last part) is handed to `answer`
/// on that thread, never on the cooperative pool, and the result goes back to the same
/// client. Binds in `init`, so a bad endpoint fails the start instead of a later request.
/// The store's queries and the diary's CLI requests use it.
///
/// A request over `maxRequestBytes` is not handed to `answer`: it gets
/// `{"ok":false,"error":"request is N bytes; at most M bytes are allowed"}` (counted as
/// `<prefix>.too_large`). The socket itself takes up to `MessageLimits.socketBytes`, so such
/// a request reaches this check; beyond that libzmq drops the peer without a reply. A
/// request of other than one part gets `"expected one part (the request's JSON), got N parts"`
/// (`<prefix>.wrong_parts`).
public final class RequestReplyServer: Service, Sendable {
    private let stopped = Atomic<Bool>(false)
    private let done = SocketThread.Handshake()

    /// `counterPrefix` given: `<prefix>.answered` and `<prefix>.reply_failed` are counted.
    public init(name: String, context: ZMQContext, endpoint: String, counters: CounterSet? = nil, counterPrefix: String = "requests",
                maxRequestBytes: Int = MessageLimits.requestBytes, logger: Logger,
                answer: @escaping @Sendable (Data) -> Data) throws {
        let ready = SocketThread.Handshake()
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
                    if let zmqError = error as? ZMQError, zmqError.isTerminated { return }
                    logger.warning("request receive failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                    continue
                }
                // [client identity][empty delimiter][request]; a DEALER may leave the delimiter out.
                guard let frames, frames.count >= 2 else { continue }
                let envelope = frames[1].isEmpty ? [frames[0], Data()] : [frames[0]]
                let parts = frames.count - envelope.count
                let request = frames.last ?? Data()
                let reply: Data
                if parts != 1 {
                    counters?.add("\(counterPrefix).wrong_parts")
                    let error = "expected one part (the request's JSON), got \(parts) parts"
                    reply = (try? JSONSerialization.data(withJSONObject: ["ok": false, "error": error])) ?? Data()
                } else if request.count > maxRequestBytes {
                    counters?.add("\(counterPrefix).too_large")
                    let error = MessageLimits.tooLarge("request", bytes: request.count, limit: maxRequestBytes)
                    reply = (try? JSONSerialization.data(withJSONObject: ["ok": false, "error": error])) ?? Data()
                } else {
                    reply = answer(request)
                    counters?.add("\(counterPrefix).answered")
                }
                do {
                    try socket.send(envelope + [reply])
                } catch {
                    if let zmqError = error as? ZMQError, zmqError.isTerminated { return }
                    counters?.add("\(counterPrefix).reply_failed")
                    logger.warning("reply failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                }
            }
        }
        try ready.wait()
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
        let done = self.done
        await offPool { try? done.wait() }
    }
}
