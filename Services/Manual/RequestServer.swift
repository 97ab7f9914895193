import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import Synchronization
import ZeroMQ

/// The CLI's way in: a ZeroMQ REP socket on `Endpoints.manualRequests`, owned by one
/// dedicated thread. Each request is handed to async code and the thread waits for the
/// answer (it is the socket's own thread, never the cooperative pool), then replies.
final class RequestServer: Service, Sendable {
    let context: ZMQContext
    let endpoint: String
    let handler: @Sendable (Data) async -> Data
    let logger: Logger
    private let stopped = Atomic<Bool>(false)

    init(context: ZMQContext, endpoint: String, logger: Logger, handler: @escaping @Sendable (Data) async -> Data) {
        self.context = context
        self.endpoint = endpoint
        self.logger = logger
        self.handler = handler
    }

    /// Binds now, so a bad endpoint fails the start instead of a later request.
    func start() throws -> SocketThread {
        let ready = SocketThread.Handshake()
        let (context, endpoint, handler, logger) = (self.context, self.endpoint, self.handler, self.logger)
        let thread = SocketThread(name: "manual-requests") { [self] in
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .rep)
                try socket.setReceiveTimeout(milliseconds: 100)
                try socket.setSendTimeout(milliseconds: 1000)
                try socket.setMaxMessageSize(1 << 20)
                try socket.bind(endpoint)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer { socket.close() }
            while !stopped.load(ordering: .relaxed) {
                let frames: [Data]?
                do throws(ZMQError) {
                    frames = try socket.receiveMultipart()
                } catch {
                    if error.isTerminated { return }
                    logger.warning("request receive failed", metadata: ["error": "\(error)"])
                    continue
                }
                guard let frames else { continue }
                let request = frames.first ?? Data()
                let answer = AnswerBox()
                Task { answer.set(await handler(request)) }
                do throws(ZMQError) {
                    try socket.send(answer.wait())
                } catch {
                    if error.isTerminated { return }
                    logger.warning("reply failed", metadata: ["error": "\(error)"])
                }
            }
        }
        try ready.wait()
        return thread
    }

    func run() async throws {
        let thread = try start()
        logger.info("accepting CLI requests", metadata: ["endpoint": "\(endpoint)"])
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled && !stopped.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(100))
            }
        } onGracefulShutdown: {
            self.stopped.store(true, ordering: .relaxed)
        }
        stopped.store(true, ordering: .relaxed)
        await thread.joinAsync()
    }
}

/// One answer passed from an async task to the waiting socket thread.
final class AnswerBox: @unchecked Sendable {
    // Safe: `value` is only touched while `condition` is locked.
    private let condition = NSCondition()
    private var value: Data?

    func set(_ data: Data) {
        condition.lock()
        value = data
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks the calling (socket) thread until the answer is set.
    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}
