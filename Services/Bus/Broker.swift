import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmErrors
import ZeroMQ

/// The XSUB/XPUB proxy on its own thread, plus a ZAP handler thread when endpoints are tcp.
/// On ipc it is libzmq's `zmq_proxy`. On tcp it is our own poll loop, because `zmq_proxy`
/// ignores the ZAP user id: each message's key must match its source and topic (`SourceGate`).
struct Broker: Sendable {
    let proxy: SocketThread
    let zap: SocketThread?

    static func start(
        context: ZMQContext, endpoints: Endpoints, configuration: Configuration,
        security: BusSecurity?, home: DataHome, counters: CounterSet, logger: Logger
    ) throws -> Broker {
        // The ZAP handler must be bound before CURVE sockets accept clients.
        let zap = try security.map { _ in try ZAPHandler.start(context: context, home: home, logger: logger) }
        let ready = SocketThread.Handshake()
        let hwm = Int32(clamping: configuration.bus.highWaterMark)
        let maxBytes = Int64(configuration.bus.maxMessageBytes)
        let proxy = SocketThread(name: "bus-proxy") {
            let frontend: ZMQSocket
            let backend: ZMQSocket
            do {
                frontend = try ZMQSocket(context: context, type: .xsub)
                backend = try ZMQSocket(context: context, type: .xpub)
                // High-water marks on purpose: libzmq's default of 1000 drops silently in bursts.
                try frontend.setReceiveHighWaterMark(hwm)
                try frontend.setSendHighWaterMark(hwm)
                try backend.setSendHighWaterMark(hwm)
                try backend.setReceiveHighWaterMark(hwm)
                try frontend.setMaxMessageSize(maxBytes)
                if let security, let secret = security.serverSecretKey {
                    // Each side its own ZAP domain: the handler lets a key in by its role.
                    try frontend.makeCurveServer(secretKey: secret, zapDomain: ZAPDomain.busPublish)
                    try backend.makeCurveServer(secretKey: secret, zapDomain: ZAPDomain.busSubscribe)
                }
                try frontend.bind(endpoints.busPublish)
                try backend.bind(endpoints.busSubscribe)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            logger.info(
                "bus running",
                metadata: [
                    "publish": "\(endpoints.busPublish)", "subscribe": "\(endpoints.busSubscribe)",
                    "high_water_mark": "\(hwm)",
                ])
            do {
                if security != nil {
                    try filter(frontend: frontend, backend: backend, gate: SourceGate(counters: counters, logger: logger))
                } else {
                    try ZMQProxy.run(frontend: frontend, backend: backend)
                }
            } catch {
                logger.error("proxy stopped", metadata: ["error": "\(error)"])
            }
            frontend.close()
            backend.close()
        }
        try ready.wait()
        return Broker(proxy: proxy, zap: zap)
    }

    /// The tcp proxy: publishers' messages (XSUB frontend) go to subscribers (XPUB backend)
    /// when the gate admits them; subscriptions go back the other way unchanged. Returns
    /// when the context ends.
    static func filter(frontend: ZMQSocket, backend: ZMQSocket, gate: SourceGate) throws(SpasmError) {
        var gate = gate
        var poller = ZMQPoller()
        let fromPublishers = poller.add(frontend)
        let fromSubscribers = poller.add(backend)
        do throws(SpasmError) {
            while true {
                let ready = try poller.poll(timeoutMilliseconds: 1000)
                if ready.contains(fromSubscribers) {
                    while let subscription = try backend.receiveMultipart(dontWait: true) { try frontend.send(subscription) }
                }
                if ready.contains(fromPublishers) {
                    // A bounded burst per wake-up, so subscriptions are never starved.
                    var taken = 0
                    while taken < 1000, let message = try frontend.receiveMultipartWithUserId(dontWait: true) {
                        taken += 1
                        // XPUB never blocks: past a subscriber's high-water mark it drops, as zmq_proxy does.
                        if gate.admits(message.parts, userId: message.userId) { try backend.send(message.parts) }
                    }
                }
            }
        } catch {
            if error.isTerminated { return }
            throw error
        }
    }

    func join() {
        proxy.join()
        zap?.join()
    }
}
