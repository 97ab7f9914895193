import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmStore
import Synchronization
import ZeroMQ

/// The query endpoint: a ROUTER socket (REQ clients) at `Endpoints.storeQuery`, owned by
/// one dedicated thread that reads the database and replies. JSON `StoreRequest` in,
/// `StoreResponse` out (docs/wire-format.md, "Store queries").
final class QueryServer: Service, Sendable {
    private let stopped = Atomic<Bool>(false)
    private let context: ZMQContext
    private let endpoint: String
    private let engine: StoreQueryEngine
    private let counters: CounterSet
    private let logger: Logger
    private let ready = SocketThread.Handshake()
    private let done = SocketThread.Handshake()

    init(context: ZMQContext, endpoint: String, engine: StoreQueryEngine, counters: CounterSet, logger: Logger) throws {
        self.context = context
        self.endpoint = endpoint
        self.engine = engine
        self.counters = counters
        self.logger = logger
        _ = SocketThread(name: "store-queries") { [self] in
            serve()
            done.succeed()
        }
        try ready.wait()
    }

    private func serve() {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context: context, type: .router)
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
            do {
                frames = try socket.receiveMultipart()
            } catch {
                if error.isTerminated { return }
                continue
            }
            // [client identity][empty delimiter][request JSON]
            guard let frames, frames.count >= 3, let request = frames.last else { continue }
            let reply = engine.answer(json: request)
            counters.add("queries.answered")
            do {
                try socket.send([frames[0], Data(), reply])
            } catch {
                counters.add("queries.reply_failed")
                logger.warning("query reply failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
            }
        } onGracefulShutdown: {}
        stopped.store(true, ordering: .relaxed)
        let done = self.done
        await offPool { try? done.wait() }
    }
}
