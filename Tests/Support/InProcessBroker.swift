import Foundation
import SpasmBus
import ZeroMQ

/// An XSUB/XPUB proxy on ipc sockets in a test's folder, for tests of bus clients that do
/// not need the real `spasmwatch-bus` process.
public final class InProcessBroker: Sendable {
    public let context = ZMQContext()
    public let address: BusAddress
    private let proxy: SocketThread

    public init(directory: URL) throws {
        let address = BusAddress(publish: "ipc://\(directory.path)/in.sock", subscribe: "ipc://\(directory.path)/out.sock")
        self.address = address
        let context = self.context
        let ready = SocketThread.Handshake()
        proxy = SocketThread(name: "test-proxy") {
            do {
                let xsub = try ZMQSocket(context: context, type: .xsub)
                let xpub = try ZMQSocket(context: context, type: .xpub)
                try xsub.bind(address.publish)
                try xpub.bind(address.subscribe)
                ready.succeed()
                try? ZMQProxy.run(frontend: xsub, backend: xpub)
                xsub.close()
                xpub.close()
            } catch {
                ready.fail(error)
            }
        }
        try ready.wait()
    }

    /// Ends the proxy and the context (close every client first).
    public func stop() {
        context.shutdown()
        proxy.join()
        context.terminate()
    }
}
