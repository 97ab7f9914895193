import Foundation
internal import Hummingbird
internal import Logging
import SpasmSync

#if canImport(Glibc)
    import Glibc
#endif

/// A webhook receiver for tests: a Hummingbird app on 127.0.0.1, port 0 (a free port). It
/// records each request (any method, any path) and answers with the status `respond` picks
/// for the n-th request (0-based): body "ok" below 300, "try later" otherwise.
public final class TinyHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        /// The request target: path and query.
        public var path: String
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data
    }

    public let port: UInt16
    private let requests: Locked<[Request]>
    private let app: Task<Void, Never>

    public var url: URL { URL(string: "http://127.0.0.1:\(port)/hook")! }
    public var received: [Request] { requests.withLock { $0 } }

    public init(respond: @escaping @Sendable (Int) -> Int = { _ in 200 }) async throws {
        let requests = Locked<[Request]>([])
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let recorded = Request(
                method: request.method.rawValue, path: request.head.path ?? "",
                headers: headers, body: Data(body.readableBytesView))
            let index = requests.withLock { list in
                list.append(recorded)
                return list.count - 1
            }
            let status = respond(index)
            return Response(
                status: .init(code: status), headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: status < 300 ? "ok" : "try later")))
        }
        var logger = Logger(label: "TinyHTTPServer")
        logger.logLevel = .warning
        let (running, started) = AsyncStream<Int>.makeStream()
        let application = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                started.yield(channel.localAddress?.port ?? 0)
                started.finish()
            }, logger: logger)
        app = Task {
            try? await application.run()
            started.finish()
        }
        var ports = running.makeAsyncIterator()
        guard let port = await ports.next(), port > 0 else {
            app.cancel()
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.port = UInt16(port)
        self.requests = requests
    }

    /// Stops the app (cancelling its task shuts the server down).
    public func stop() {
        app.cancel()
    }

    /// A port on 127.0.0.1 that is bound but not listening, so connecting is refused; held
    /// until `close()` so a parallel test cannot get the same port.
    public final class RefusedPort: Sendable {
        public let port: UInt16
        private let fd: Int32

        public init() {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            self.port = UInt16(bigEndian: address.sin_port)
        }

        public var url: URL { URL(string: "http://127.0.0.1:\(port)/hook")! }

        public func close() { _ = Glibc.close(fd) }
    }
}
