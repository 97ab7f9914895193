import HummingbirdCore
import Logging
import NIOCore

extension ConnectionLimits {
    /// A server that upgrades to WebSocket (the diary's "Wear this phone" socket), with the
    /// same limits as `server(count:)`. Hummingbird's upgrade channel adds the HTTP/1 handlers
    /// (`RequestDeadlineHandler`, the idle timeout) only once a first request's head has been
    /// read, so on their own they neither count a connection that never sends one against
    /// the cap nor close it. Here a handler in front of the HTTP decoder does both: each
    /// connection counts against `maxConnections` for its whole life (a WebSocket too), and
    /// the first request's headers must arrive within `requestSeconds`. From then on the
    /// HTTP/1 handlers bound each body, later requests and idle time as `server(count:)` does.
    /// `build` makes the upgrade channel from the HTTP/1 configuration it must use.
    public func upgradingServer(
        count: @escaping @Sendable (String) -> Void,
        build: @escaping @Sendable (HTTP1Channel.Configuration, @escaping HTTPChannelHandler.Responder) -> any ServerChildChannel
    )
        -> HTTPServerBuilder
    {
        let gate = ConnectionGate(cap: maxConnections)
        let deadline = Self.amount(requestSeconds)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(gate: nil, deadline: deadline, count: count)],
            idleTimeout: Self.amount(idleSeconds))
        return HTTPServerBuilder { responder in
            Self.guarded(build(http1, responder), gate: gate, deadline: deadline, count: count)
        }
    }

    static func guarded<Base: ServerChildChannel>(
        _ base: Base, gate: ConnectionGate, deadline: TimeAmount,
        count: @escaping @Sendable (String) -> Void
    ) -> any ServerChildChannel {
        GuardedChannel(base: base, gate: gate, deadline: deadline, count: count)
    }
}

/// `base` with `FirstRequestGuard` first in its pipeline (after TLS, when `ServingTLS` wraps
/// the server: the guard sees the decrypted bytes).
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let gate: ConnectionGate
    let deadline: TimeAmount
    let count: @Sendable (String) -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FirstRequestGuard(gate: gate, deadline: deadline, count: count))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// On the raw bytes of one connection: counts it against the cap while it is open (closing it
/// at once beyond the cap, `http.refused.connections`) and closes it when the first request's
/// headers (up to their blank line) have not arrived within the deadline (`http.closed.deadline`).
/// Owned by the connection's event loop.
final class FirstRequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let gate: ConnectionGate
    let deadline: TimeAmount
    let count: @Sendable (String) -> Void
    private var started = false
    private var counted = false
    private var headersDone = false
    /// How much of "\r\n\r\n" the bytes so far end with.
    private var matched = 0
    private var timer: Scheduled<Void>?

    init(gate: ConnectionGate, deadline: TimeAmount, count: @escaping @Sendable (String) -> Void) {
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
        if !headersDone {
            let buffer = unwrapInboundIn(data)
            for byte in buffer.readableBytesView {
                let expected: UInt8 = matched % 2 == 0 ? 13 : 10  // \r \n \r \n
                matched = byte == expected ? matched + 1 : (byte == 13 ? 1 : 0)
                if matched == 4 {
                    headersDone = true
                    timer?.cancel()
                    timer = nil
                    break
                }
            }
        }
        context.fireChannelRead(data)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard gate.enter() else {
            count("http.refused.connections")
            context.close(promise: nil)
            return
        }
        counted = true
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: deadline) { [count] in
            count("http.closed.deadline")
            // As if the peer had stopped sending: the upgrade handler then ends its wait with
            // `inputClosed` (which Hummingbird takes quietly) instead of logging an error for
            // every idle connection a browser opens ahead of need; then the connection closes.
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            context.close(promise: nil)
        }
    }

    private func finish() {
        timer?.cancel()
        timer = nil
        if counted { gate.leave() }
        counted = false
    }
}
