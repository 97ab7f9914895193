import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmRuntime
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
    let home: DataHome
    let context: ZMQContext
    let logger: Logger
    let maxMessageBytes: Int
    private let stopped = Atomic<Bool>(false)

    init(
        core: IngestionCore, endpoint: String, security: BusSecurity?, home: DataHome, context: ZMQContext, maxFrameBytes: Int,
        logger: Logger
    ) {
        self.core = core
        self.home = home
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
                if let security, let secret = security.serverSecretKey {
                    try socket.makeCurveServer(secretKey: secret, zapDomain: ZAPDomain.producers)
                }
                try socket.bind(endpoint)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer { socket.close() }
            logger.info("producer endpoint ready", metadata: ["endpoint": "\(endpoint)"])
            var producerKeys: [Data: String] = [:]
            // On tcp, each request's ZAP user id (its key's name) and what that key may send.
            var bindings = ProducerBindings(home: home)
            var outgoing: [[Data]] = []
            var replies: [[Data]] = []
            while !stopped.load(ordering: .relaxed) {
                // Every request that has arrived (up to 256): the whole batch is published with
                // one hand-over to the bus thread.
                let requests: [(parts: [Data], userId: String?)]
                do {
                    // ipc has no keys: the plain receive, no metadata read.
                    if security == nil {
                        requests = try socket.receiveBatch(limit: 256).map { (parts: $0, userId: nil) }
                    } else {
                        requests = try socket.receiveBatchWithUserId(limit: 256)
                    }
                } catch {
                    if let zmqError = error as? SpasmError, zmqError.isTerminated { return }
                    continue
                }
                if requests.isEmpty { continue }
                let now = Date().timeIntervalSince1970
                for (frames, userId) in requests {
                    // REQ peers put an empty delimiter after the identity; DEALER peers may not.
                    guard let routed = RoutedRequest(frames) else { continue }
                    let (identity, body) = (routed.identity, routed.parts)
                    let reply: ProducerReply
                    if body.isEmpty || body.count > 2 {
                        core.counters.add("frames.rejected")
                        core.counters.add("rejected.json")
                        reply = ProducerReply(
                            ok: false, error: "expected [frame JSON] or [frame JSON][binary Float32 samples], got \(body.count) parts",
                            reason: "json")
                    } else {
                        let key =
                            producerKeys[identity]
                            ?? {
                                if producerKeys.count > 10_000 { producerKeys.removeAll() }
                                let key = "zmq:" + identity.map { String(format: "%02x", $0) }.joined()
                                producerKeys[identity] = key
                                return key
                            }()
                        let binding = security == nil ? nil : bindings.binding(for: userId ?? "", now: now)
                        reply = core.ingest(
                            json: body[body.startIndex], binary: body.count == 2 ? body[body.startIndex + 1] : nil,
                            via: "zmq", producerKey: key, now: now, binding: binding, outgoing: &outgoing)
                    }
                    replies.append(routed.reply(reply.fastJSON()))
                }
                // Frames reach the bus before their producers hear "accepted".
                core.deliver(outgoing)
                outgoing.removeAll(keepingCapacity: true)
                for reply in replies { _ = try? socket.send(reply, dontWait: true) }
                replies.removeAll(keepingCapacity: true)
            }
        }
        try await ready.value()
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

/// Which sensor ids each key may send, from `keys/allowed/` (issue 12, point 7): a producer
/// key its bound ids (`keys new NAME --role producer --sensor ID`), a service key any. Looked
/// up again every 2 s per key, so `keys revoke` and a new binding apply without a restart.
/// Owned by the endpoint's thread.
struct ProducerBindings {
    let home: DataHome
    private var cache: [String: (at: Double, sensors: [String]?)] = [:]

    init(home: DataHome) { self.home = home }

    /// nil: any sensor id; else the key's name and its ids.
    mutating func binding(for key: String, now: Double) -> (key: String, sensors: [String])? {
        if let hit = cache[key], now - hit.at < 2 { return hit.sensors.map { (key: key, sensors: $0) } }
        let sensors = key.isEmpty ? [] : KeyAllowlist.producerBinding(home: home, name: key)
        if cache.count > 10_000 { cache.removeAll() }
        cache[key] = (now, sensors)
        return sensors.map { (key: key, sensors: $0) }
    }
}
