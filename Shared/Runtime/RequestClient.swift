import Foundation
import SpasmBus
import ZeroMQ

/// The client side of `RequestReplyServer`: one request, one reply, on a REQ socket that is
/// created, used and closed on one thread off the cooperative pool.
public enum RequestClient {
    /// Sends `request` to `endpoint`; the reply's last part, or nil when nobody answered
    /// within `timeout` seconds (for ipc, at once when the socket file does not exist).
    public static func ask(_ request: Data, endpoint: String, timeout: Double = 5) async -> Data? {
        if endpoint.hasPrefix("ipc://"), !FileManager.default.fileExists(atPath: String(endpoint.dropFirst(6))) {
            return nil  // no socket file: the service is not running
        }
        return await offPool {
            let context = ZMQContext()
            defer { context.terminate() }
            do {
                let socket = try ZMQSocket(context: context, type: .req)
                defer { socket.close() }
                try socket.setImmediate(true)  // fail the send instead of queueing for a dead peer
                try socket.setLinger(milliseconds: 0)
                try socket.setSendTimeout(milliseconds: 500)
                try socket.setReceiveTimeout(milliseconds: Int32(timeout * 1000))
                try socket.setMaxMessageSize(-1)
                try socket.connect(endpoint)
                try socket.send(request)
                return try socket.receiveMultipart()?.last
            } catch {
                return nil
            }
        }
    }
}
