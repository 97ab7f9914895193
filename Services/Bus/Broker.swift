import Foundation
import Logging
import SpasmBus
import SpasmConfig
import ZeroMQ

/// The XSUB/XPUB proxy on its own thread, plus a ZAP handler thread when endpoints are tcp.
struct Broker: Sendable {
    let proxy: SocketThread
    let zap: SocketThread?

    static func start(context: ZMQContext, endpoints: Endpoints, configuration: Configuration,
                      security: BusSecurity?, home: DataHome, logger: Logger) throws -> Broker {
        // The ZAP handler must be bound before CURVE sockets accept clients.
        let zap = try security.map { _ in try ZAPHandler.start(context: context, home: home, logger: logger) }
        let ready = SocketThread.Handshake()
        let hwm = Int32(clamping: configuration.bus.highWaterMark)
        let maxBytes = Int64(configuration.bus.maxMessageBytes)
        let proxy = SocketThread(name: "bus-proxy") {
            let frontend: ZMQSocket, backend: ZMQSocket
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
                    try frontend.makeCurveServer(secretKey: secret)
                    try backend.makeCurveServer(secretKey: secret)
                }
                try frontend.bind(endpoints.busPublish)
                try backend.bind(endpoints.busSubscribe)
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            logger.info("bus running", metadata: ["publish": "\(endpoints.busPublish)", "subscribe": "\(endpoints.busSubscribe)",
                                                  "high_water_mark": "\(hwm)"])
            do {
                try ZMQProxy.run(frontend: frontend, backend: backend)
            } catch {
                logger.error("proxy stopped", metadata: ["error": "\(error)"])
            }
            frontend.close()
            backend.close()
        }
        try ready.wait()
        return Broker(proxy: proxy, zap: zap)
    }

    func join() {
        proxy.join()
        zap?.join()
    }
}

/// ZeroMQ's authentication protocol (RFC 27): libzmq asks this handler, on
/// `inproc://zeromq.zap.01`, whether a CURVE client's public key may connect. The allowlist
/// is `<home>/keys/allowed/*.public`, re-read on each request so adding a key needs no restart.
enum ZAPHandler {
    static func start(context: ZMQContext, home: DataHome, logger: Logger) throws -> SocketThread {
        let ready = SocketThread.Handshake()
        let thread = SocketThread(name: "bus-zap") {
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .rep)
                try socket.bind("inproc://zeromq.zap.01")
                ready.succeed()
            } catch {
                ready.fail(error)
                return
            }
            defer { socket.close() }
            while true {
                let frames: [Data]?
                do { frames = try socket.receiveMultipart() } catch { return }
                guard let frames, frames.count >= 6 else { continue }
                let version = frames[0], requestId = frames[1]
                let mechanism = String(decoding: frames[5], as: UTF8.self)
                var allowed = false
                if mechanism == "CURVE", frames.count >= 7 {
                    let key = CurveKeys.z85(frames[6])
                    allowed = BusSecurity.allowedClientKeys(home: home).contains(key)
                    if !allowed { logger.warning("refused a client key not on the allowlist", metadata: ["key": "\(key)"]) }
                }
                let reply: [Data] = [version, requestId, Data((allowed ? "200" : "400").utf8),
                                     Data((allowed ? "OK" : "client key not allowed").utf8), Data(), Data()]
                do { try socket.send(reply) } catch { return }
            }
        }
        try ready.wait()
        return thread
    }
}

/// One bus per data home: an exclusive `flock` on `<run>/bus.lock`, holding our pid.
struct BusLock: Sendable {
    let fd: Int32

    struct AlreadyRunning: Error, CustomStringConvertible {
        let description: String
    }

    static func acquire(home: DataHome) throws -> BusLock {
        let path = home.runDirectory.appendingPathComponent("bus.lock").path
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw AlreadyRunning(description: "cannot open \(path): errno \(errno)") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let other = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw AlreadyRunning(description: "another spasmwatch-bus (pid \(other)) is already running on \(home.root.path); refusing to take over its sockets")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        return BusLock(fd: fd)
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
