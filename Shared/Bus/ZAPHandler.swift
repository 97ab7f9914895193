import Foundation
import Logging
import SpasmConfig
import ZeroMQ

/// ZeroMQ's authentication protocol (RFC 27): libzmq asks this handler, on
/// `inproc://zeromq.zap.01`, whether a CURVE client's public key may connect to a socket.
/// Each server socket has its ZAP domain (`ZAPDomain`); a key is let in only where its role
/// allows (`KeyRole.domains`). The allowlist is `<home>/keys/allowed/<role>s/NAME.public`, re-read
/// on each request so adding or revoking a key needs no restart. The reply's user id is the
/// key's name.
public enum ZAPHandler {
    /// Binds the handler in `context` (before any CURVE server socket accepts clients).
    public static func start(context: ZMQContext, home: DataHome, logger: Logger) throws -> SocketThread {
        try KeyAllowlist.migrate(home: home, logger: logger)
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
                let version = frames[0]
                let requestId = frames[1]
                let domain = String(decoding: frames[2], as: UTF8.self)
                let mechanism = String(decoding: frames[5], as: UTF8.self)
                var userId = ""
                var refusal: String? = "mechanism \(mechanism) is not allowed; only CURVE"
                if mechanism == "CURVE", frames.count >= 7 {
                    let verdict = decide(key: CurveKeys.z85(frames[6]), domain: domain, allowed: KeyAllowlist.keys(home: home))
                    refusal = verdict.refusal
                    userId = verdict.name ?? ""
                    if let refusal {
                        logger.warning(
                            "refused a client key",
                            metadata: [
                                "key": "\(CurveKeys.z85(frames[6]))", "name": "\(userId)",
                                "domain": "\(domain)", "reason": "\(refusal)",
                            ])
                    }
                }
                let reply: [Data] = [
                    version, requestId, Data((refusal == nil ? "200" : "400").utf8),
                    Data((refusal ?? "OK").utf8), Data(userId.utf8), Data(),
                ]
                do { try socket.send(reply) } catch { return }
            }
        }
        try ready.wait()
        return thread
    }

    /// Whether `key` may connect to a socket of `domain`: nil refusal when it may, and the
    /// key's name when it is on the allowlist at all.
    public static func decide(key: String, domain: String, allowed: [AllowedKey]) -> (name: String?, refusal: String?) {
        let matches = allowed.filter { $0.publicKey == key }
        guard let first = matches.first else { return (nil, "client key not allowed") }
        if let fit = matches.first(where: { $0.role.domains.contains(domain) }) { return (fit.name, nil) }
        let roles = Set(matches.map(\.role.rawValue)).sorted().joined(separator: ", ")
        let wanted = KeyRole.allCases.filter { $0.domains.contains(domain) }.map(\.rawValue).joined(separator: " or ")
        return (first.name, "key '\(first.name)' is a \(roles) key; \(domain) takes \(wanted.isEmpty ? "no" : wanted) keys")
    }
}
