import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmSchema
import Synchronization
import ZeroMQ

/// The endpoint external producers connect to (separate from the internal bus): a ROUTER
/// socket on its own thread. A request is `[frame JSON][optional binary Float32]` (REQ adds
/// the empty delimiter); every request gets `[reply JSON]`.
final class ProducerEndpoint: Service, Sendable {
    let core: IngestionCore
    let endpoint: String
    let security: BusSecurity?
    let context: ZMQContext
    let logger: Logger
    let maxMessageBytes: Int
    private let stopped = Atomic<Bool>(false)

    init(core: IngestionCore, endpoint: String, security: BusSecurity?, context: ZMQContext, maxFrameBytes: Int, logger: Logger) {
        self.core = core
        self.endpoint = endpoint
        self.security = security
        self.context = context
        // The socket's own limit is a backstop well above the checked limit, so an oversize
        // frame still reaches the code that answers it with an error (beyond it libzmq drops
        // the peer without a reply).
        self.maxMessageBytes = max(maxFrameBytes * 4, MessageLimits.socketBytes)
        self.logger = logger
    }

    func run() async throws {
        let ready = SocketThread.Handshake()
        let thread = SocketThread(name: "producers") { [self] in
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .router)
                try socket.setMaxMessageSize(Int64(maxMessageBytes))
                try socket.setReceiveTimeout(milliseconds: 100)
                try socket.setReceiveHighWaterMark(100_000)
                try socket.setSendHighWaterMark(100_000)
                if let security, let secret = security.serverSecretKey { try socket.makeCurveServer(secretKey: secret, zapDomain: ZAPDomain.producers) }
                try socket.bind(endpoint)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer { socket.close() }
            logger.info("producer endpoint ready", metadata: ["endpoint": "\(endpoint)"])
            var producerKeys: [Data: String] = [:]
            var outgoing: [[Data]] = []
            var replies: [[Data]] = []
            while !stopped.load(ordering: .relaxed) {
                // Every request that has arrived (up to 256): the whole batch is published with
                // one hand-over to the bus thread.
                let requests: [[Data]]
                do {
                    requests = try socket.receiveBatch(limit: 256)
                } catch {
                    if let zmqError = error as? ZMQError, zmqError.isTerminated { return }
                    continue
                }
                if requests.isEmpty { continue }
                let now = Date().timeIntervalSince1970
                for frames in requests {
                    guard frames.count >= 2 else { continue }
                    let identity = frames[0]
                    // REQ peers put an empty delimiter after the identity; DEALER peers may not.
                    let hasDelimiter = frames[1].isEmpty
                    let body = frames.dropFirst(hasDelimiter ? 2 : 1)
                    let reply: ProducerReply
                    if body.isEmpty || body.count > 2 {
                        core.counters.add("frames.rejected")
                        core.counters.add("rejected.json")
                        reply = ProducerReply(ok: false, error: "expected [frame JSON] or [frame JSON][binary Float32 samples], got \(body.count) parts",
                                              reason: "json")
                    } else {
                        let key = producerKeys[identity] ?? {
                            if producerKeys.count > 10_000 { producerKeys.removeAll() }
                            let key = "zmq:" + identity.map { String(format: "%02x", $0) }.joined()
                            producerKeys[identity] = key
                            return key
                        }()
                        reply = core.ingest(json: body[body.startIndex], binary: body.count == 2 ? body[body.startIndex + 1] : nil,
                                            via: "zmq", producerKey: key, now: now, outgoing: &outgoing)
                    }
                    replies.append(hasDelimiter ? [identity, Data(), reply.fastJSON()] : [identity, reply.fastJSON()])
                }
                // Frames reach the bus before their producers hear "accepted".
                core.deliver(outgoing)
                outgoing.removeAll(keepingCapacity: true)
                for reply in replies { _ = try? socket.send(reply, dontWait: true) }
                replies.removeAll(keepingCapacity: true)
            }
        }
        try ready.wait()
        await withGracefulShutdownHandler {
            while !stopped.load(ordering: .relaxed) && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
            }
        } onGracefulShutdown: {
            self.stopped.store(true, ordering: .relaxed)
        }
        stopped.store(true, ordering: .relaxed)
        await thread.joinAsync()
    }
}
