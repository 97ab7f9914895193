import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import SpasmSync

/// Bounds on connections, so slow or idle clients cannot hold the server (500 slowloris
/// connections once stayed open for good):
///
/// - **Request deadline**: a new connection must deliver its request headers within
///   `requestSeconds`, and a request's body must be complete `requestSeconds` after its
///   headers; otherwise the connection is closed (`http.closed.deadline`).
/// - **Idle timeout**: a keep-alive connection with no request for `idleSeconds` is closed
///   (Hummingbird's `idleTimeout`; it also bounds slow headers of a later request).
/// - **Connection cap**: beyond `maxConnections` open at once, a new connection is closed
///   at once (`http.refused.connections`).
///
/// The settings `manual.`/`sensor.` `httpRequestSeconds`, `httpIdleSeconds` and
/// `httpMaxConnections` set them (checked when the configuration loads).
public struct ConnectionLimits: Sendable {
    public var requestSeconds: Double = 10
    public var idleSeconds: Double = 30
    public var maxConnections: Int = 256

    public init(maxConnections: Int = 256, requestSeconds: Double = 10, idleSeconds: Double = 30) {
        self.maxConnections = max(1, maxConnections)
        self.requestSeconds = requestSeconds
        self.idleSeconds = idleSeconds
    }

    /// The HTTP/1 server for `Application(server:)` with these limits.
    public func server(count: @escaping @Sendable (String) -> Void) -> HTTPServerBuilder {
        let gate = ConnectionGate(cap: maxConnections)
        let deadline = Self.amount(requestSeconds)
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestDeadlineHandler(gate: gate, deadline: deadline, count: count)],
                idleTimeout: Self.amount(idleSeconds)))
    }

    static func amount(_ seconds: Double) -> TimeAmount {
        .milliseconds(Int64((max(0.001, seconds) * 1000).rounded()))
    }
}

/// How many connections are open, across the server's event loops.
final class ConnectionGate: Sendable {
    let cap: Int
    private let open = Locked(0)

    init(cap: Int) { self.cap = cap }

    func enter() -> Bool {
        open.withLock { count in
            guard count < cap else { return false }
            count += 1
            return true
        }
    }

    func leave() { open.withLock { $0 -= 1 } }
}

/// One per connection (after HTTP decoding): counts it against the cap and closes it when a
/// request takes longer than the deadline to arrive.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// nil: another handler counts the connection (`FirstRequestGuard`, for an upgrading server).
    let gate: ConnectionGate?
    let deadline: TimeAmount
    let count: @Sendable (String) -> Void
    private var started = false
    private var counted = false
    private var timer: Scheduled<Void>?

    init(gate: ConnectionGate?, deadline: TimeAmount, count: @escaping @Sendable (String) -> Void) {
        self.gate = gate
        self.deadline = deadline
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context)  // the body has its own deadline from here
        case .body: break
        case .end: cancel()
        }
        context.fireChannelRead(data)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if let gate {
            guard gate.enter() else {
                count("http.refused.connections")
                context.close(promise: nil)
                return
            }
            counted = true
        }
        arm(context)
    }

    private func arm(_ context: ChannelHandlerContext) {
        cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: deadline) { [count] in
            count("http.closed.deadline")
            context.close(promise: nil)
        }
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func finish() {
        cancel()
        if counted { gate?.leave() }
        counted = false
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}
