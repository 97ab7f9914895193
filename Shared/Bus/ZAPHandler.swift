import Foundation
import Logging
import SpasmConfig
import ZeroMQ

/// ZeroMQ's authentication protocol (RFC 27): libzmq asks this handler, on
/// `inproc://zeromq.zap.01`, whether a CURVE client's public key may connect. The allowlist
/// is `<home>/keys/allowed/*.public`, re-read on each request so adding a key needs no restart.
public enum ZAPHandler {
    /// Binds the handler in `context` (before any CURVE server socket accepts clients).
    public static func start(context: ZMQContext, home: DataHome, logger: Logger) throws -> SocketThread {
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

