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
        // The socket's own limit is a backstop 4× larger than the checked limit, so an
        // oversize frame still reaches the code that answers it with an error.
        self.maxMessageBytes = maxFrameBytes * 4
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
                if let security, let secret = security.serverSecretKey { try socket.makeCurveServer(secretKey: secret) }
                try socket.bind(endpoint)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer { socket.close() }
            logger.info("producer endpoint ready", metadata: ["endpoint": "\(endpoint)"])
            while !stopped.load(ordering: .relaxed) {
                let frames: [Data]
                do {
                    guard let received = try socket.receiveMultipart() else { continue }
                    frames = received
                } catch {
                    if let zmqError = error as? ZMQError, zmqError.isTerminated { return }
                    continue
                }
                guard frames.count >= 2 else { continue }
                let identity = frames[0]
                // REQ peers put an empty delimiter after the identity; DEALER peers may not.
                let hasDelimiter = frames[1].isEmpty
                let body = Array(frames.dropFirst(hasDelimiter ? 2 : 1))
                let reply: ProducerReply
                if body.isEmpty || body.count > 2 {
                    core.counters.add("frames.rejected")
                    core.counters.add("rejected.json")
                    reply = ProducerReply(ok: false, error: "expected [frame JSON] or [frame JSON][binary Float32 samples], got \(body.count) parts",
                                          reason: "json")
                } else {
                    reply = core.ingest(json: body[0], binary: body.count == 2 ? body[1] : nil, via: "zmq",
                                        producerKey: "zmq:" + identity.map { String(format: "%02x", $0) }.joined())
                }
                let replyJSON = reply.fastJSON()
                var out = [identity]
                if hasDelimiter { out.append(Data()) }
                out.append(replyJSON)
                _ = try? socket.send(out, dontWait: true)
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
