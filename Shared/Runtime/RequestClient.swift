import Foundation
import SpasmBus
import SpasmErrors
import SpasmSchema
import ZeroMQ

extension SpasmError.Code {
    /// Nobody listens at the endpoint: no socket file, or no peer took the request.
    public static let requestNotRunning = SpasmError.Code("request.not-running")
    /// The request went out and no reply came in time (the socket is then made anew).
    public static let requestTimedOut = SpasmError.Code("request.timed-out")
    /// A reply came that is not the reply expected; `detail` says why.
    public static let requestBadReply = SpasmError.Code("request.bad-reply")
    /// The process's ZeroMQ context is ending, or the client was closed.
    public static let requestClosed = SpasmError.Code("request.closed")
    /// The socket refused (e.g. an endpoint that is not an address).
    public static let requestSocket = SpasmError.Code("request.socket")

    /// Every way `RequestClient.ask` fails.
    public static let requestFailures: Set<SpasmError.Code> = [
        .requestNotRunning, .requestTimedOut, .requestBadReply, .requestClosed, .requestSocket,
    ]
}

/// Why a request got no usable reply.
extension SpasmError {
    public static func requestNotRunning(endpoint: String) -> SpasmError {
        SpasmError(.requestNotRunning, "nothing is answering at \(endpoint) (is the service running? `spasmwatch status`)")
    }
    public static func requestTimedOut(endpoint: String, seconds: Double) -> SpasmError {
        SpasmError(.requestTimedOut, "no reply from \(endpoint) within \(seconds.formatted()) s")
    }
    public static func requestBadReply(endpoint: String, why: String) -> SpasmError {
        SpasmError(.requestBadReply, "unreadable reply from \(endpoint): \(why)", detail: why)
    }
    public static func requestClosed(endpoint: String) -> SpasmError {
        SpasmError(.requestClosed, "the request to \(endpoint) was not sent: shutting down")
    }
    public static func requestSocket(endpoint: String, why: String) -> SpasmError {
        SpasmError(.requestSocket, "cannot ask \(endpoint): \(why)", detail: why)
    }
}

/// The client side of `RequestReplyServer`: typed requests and replies (JSON) over one REQ
/// (or DEALER) socket, created on first use and owned by one `SocketThread` for its whole
/// life; `ask` hands the request to that thread and awaits the reply without blocking the
/// cooperative pool. Requests from several tasks take turns. After a timeout the socket is
/// closed and made anew, so a lost reply never wedges the next request. The thread ends, and
/// closes the socket, when the client is released or its context ends.
public final class RequestClient<Request: Encodable & Sendable, Reply: Decodable & Sendable>: Sendable {
    public let endpoint: String
    private let exchange: RequestExchange

    /// `context`: the process's own (`ServiceEnvironment.context`), not one per request.
    public init(context: ZMQContext, endpoint: String, kind: RequestExchange.Kind = .req, name: String = "requests") {
        self.endpoint = endpoint
        exchange = RequestExchange(context: context, endpoint: endpoint, kind: kind, name: name)
    }

    deinit { exchange.stop() }

    /// Sends `request` and waits up to `timeout` seconds for its reply (for ipc, fails at
    /// once when the socket file does not exist).
    public func ask(_ request: Request, timeout: Double = 5) async throws(SpasmError) -> Reply {
        let data: Data
        do {
            data = try WireCodec.encode(request)
        } catch {
            throw .requestSocket(endpoint: endpoint, why: "the request does not encode: \(error)")
        }
        let reply: Data
        do {
            reply = try await exchange.exchange(data, timeout: timeout)
        } catch let error as SpasmError where SpasmError.Code.requestFailures.contains(error.code) {
            throw error
        } catch {
            throw .requestSocket(endpoint: endpoint, why: "\(error)")
        }
        do {
            return try JSONDecoder().decode(Reply.self, from: reply)
        } catch {
            throw .requestBadReply(endpoint: endpoint, why: WireCodec.describe(error, in: reply))
        }
    }
}

/// The socket thread behind `RequestClient`, and the queue of requests waiting for it (bytes).
public final class RequestExchange: @unchecked Sendable {
    // Safe: `jobs`, `stopped` and `started` are only touched while `condition` is locked;
    // the socket is a local of the one thread that made it.
    public enum Kind: Sendable { case req, dealer }
    private struct Job {
        let request: Data
        let timeout: Double
        let reply: CheckedContinuation<Data, Error>
    }
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopped = false
    private var started = false
    let context: ZMQContext
    let endpoint: String
    let kind: Kind
    let name: String

    init(context: ZMQContext, endpoint: String, kind: Kind, name: String) {
        (self.context, self.endpoint, self.kind, self.name) = (context, endpoint, kind, name)
    }

    /// Ends the thread once the requests already queued are answered; closes the socket.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// The reply's last part; throws a `request.*` `SpasmError`.
    func exchange(_ request: Data, timeout: Double) async throws -> Data {
        try await withCheckedThrowingContinuation { (reply: CheckedContinuation<Data, Error>) in
            condition.lock()
            defer { condition.unlock() }
            guard !stopped else { return reply.resume(throwing: SpasmError.requestClosed(endpoint: endpoint)) }
            jobs.append(Job(request: request, timeout: timeout, reply: reply))
            if !started {
                started = true
                _ = SocketThread(name: name) { [self] in serve() }
            }
            condition.signal()
        }
    }

    /// The thread's loop: one request at a time; while idle, it wakes every 100 ms to see
    /// whether the context is ending, and then closes the socket so `terminate` returns.
    private func serve() {
        var socket: ZMQSocket?
        var ended = false
        defer { socket?.close() }
        while true {
            condition.lock()
            if jobs.isEmpty && !stopped { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
            let job = jobs.isEmpty ? nil : jobs.removeFirst()
            let stop = stopped && jobs.isEmpty && job == nil
            condition.unlock()
            if stop { return }
            guard let job else {
                if let open = socket, open.contextEnded {
                    open.close()
                    socket = nil
                    ended = true
                }
                continue
            }
            if ended {
                job.reply.resume(throwing: SpasmError.requestClosed(endpoint: endpoint))
                continue
            }
            let open = socket ?? (try? connect())
            switch send(job, on: open) {
            case .success(let reply):
                socket = open
                job.reply.resume(returning: reply)
            case .failure(let error):
                // A REQ socket that missed its reply is stuck, a DEALER's may bring it late: start over.
                open?.close()
                socket = nil
                if error.code == .requestClosed { ended = true }
                job.reply.resume(throwing: error)
            }
        }
    }

    private func send(_ job: Job, on socket: ZMQSocket?) -> Result<Data, SpasmError> {
        if endpoint.hasPrefix("ipc://"), !FileManager.default.fileExists(atPath: String(endpoint.dropFirst(6))) {
            return .failure(.requestNotRunning(endpoint: endpoint))  // no socket file: the service is not running
        }
        guard let socket else { return .failure(.requestSocket(endpoint: endpoint, why: "no socket (is the endpoint an address?)")) }
        do {
            try socket.setReceiveTimeout(milliseconds: Int32(min(max(job.timeout, 0.001), 86_400) * 1000))
            try socket.send(kind == .dealer ? [Data(), job.request] : [job.request])
            guard let frames = try socket.receiveMultipart(), let reply = frames.last else {
                return .failure(.requestTimedOut(endpoint: endpoint, seconds: job.timeout))
            }
            return .success(reply)
        } catch {
            if error.isAgain { return .failure(.requestNotRunning(endpoint: endpoint)) }  // no peer took it
            if error.isTerminated { return .failure(.requestClosed(endpoint: endpoint)) }
            return .failure(.requestSocket(endpoint: endpoint, why: "\(error)"))
        }
    }

    private func connect() throws(SpasmError) -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: kind == .dealer ? .dealer : .req)
        do {
            try socket.setImmediate(true)  // fail the send instead of queueing for a dead peer
            try socket.setLinger(milliseconds: 0)
            try socket.setSendTimeout(milliseconds: 500)
            try socket.setMaxMessageSize(-1)
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }
}
