import Foundation
import SpasmBus
import SpasmConfig
import SpasmReliability
import SpasmSchema
import SpasmTestSupport
import ZeroMQ

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Stands in for `spasmwatch-store` (built in parallel) in the diary's process tests:
/// stores each `manual.entry` and `acknowledgement` once by message id, as storage does,
/// and sends the `stored.<sender>` receipt for every one it receives. Counts rows and
/// deliveries so a test can tell "arrived once" from "arrived twice".
final class StandInStorage: @unchecked Sendable {
    // Safe: `rows`, `deliveries`, `stopped` and `connection` are only touched while `lock`
    // is held; each socket belongs to its subscriber's or publisher's own thread.
    private let lock = NSLock()
    private var rows: [UUID: BusMessage] = [:]
    private var deliveries: [UUID: Int] = [:]
    private var stopped = false
    private var connection: Connection?
    /// Message types refused (not stored, answered with a `refused` receipt) and why.
    private var refusing: [String: String] = [:]
    let home: URL

    /// The "process" part: sockets and a loop. The rows (the "database") outlive it.
    struct Connection {
        let context: ZMQContext
        let subscriber: BusSubscriber
        let publisher: BusPublisher
        let loop: SocketThread
    }

    init(home: URL) throws {
        self.home = home
        try start()
    }

    /// Connects to the bus and starts storing (again, after `stop`).
    func start() throws {
        let address = try BusAddress.resolve(home: DataHome(root: home), configuration: Configuration())
        let context = ZMQContext()
        let subscriber = try BusSubscriber(context: context, address: address, prefixes: [Topic.manualEntry, Topic.acknowledgement])
        let publisher = try BusPublisher(context: context, address: address, source: "store")
        let receipts = ReceiptSender(publisher: publisher)
        lock.withLock { stopped = false }
        let loop = SocketThread(name: "stand-in-storage") { [self] in
            while !lock.withLock({ stopped }) {
                for message in subscriber.next(timeout: 0.1) ?? [] {
                    if let reason = lock.withLock({ refusing[message.header.type] }) {
                        receipts.send(refused: [
                            (
                                source: message.header.source,
                                refusal: RefusedReceipt.Refusal(id: message.header.id, type: message.header.type, reason: reason)
                            )
                        ])
                        continue
                    }
                    lock.withLock {
                        deliveries[message.header.id, default: 0] += 1
                        if rows[message.header.id] == nil { rows[message.header.id] = message }
                    }
                    receipts.send(committed: [(source: message.header.source, id: message.header.id)])
                }
            }
        }
        lock.withLock { connection = Connection(context: context, subscriber: subscriber, publisher: publisher, loop: loop) }
    }

    /// From now on refuses every message of `type`, as storage does a body that breaks its
    /// sender's rules.
    func refuse(_ type: String, reason: String) { lock.withLock { refusing[type] = reason } }

    /// Closes its sockets (as if storage stopped); what it stored stays.
    func stop() {
        guard
            let c = lock.withLock({ () -> Connection? in
                stopped = true
                defer { connection = nil }
                return connection
            })
        else { return }
        c.loop.join()
        c.subscriber.close()
        c.publisher.close()
        c.context.terminate()
    }

    /// Diary entries stored, each decoded from its row.
    var entries: [DiaryEntry] {
        lock.withLock { rows.values.compactMap { try? $0.decode(DiaryEntry.self).body } }
    }

    var acknowledgements: [Acknowledgement] {
        lock.withLock { rows.values.compactMap { try? $0.decode(Acknowledgement.self).body } }
    }

    var rowCount: Int { lock.withLock { rows.count } }

    func deliveryCount(_ id: UUID) -> Int { lock.withLock { deliveries[id] ?? 0 } }

    /// Publishes a message as if another service had (an episode, an alert).
    func publish<Body: MessageBody>(_ body: Body, topic: String) throws {
        guard let publisher = lock.withLock({ connection?.publisher }) else { throw TestFailure("stand-in storage is stopped") }
        try publisher.publish(body, topic: topic)
    }

    /// Waits until every id is stored (polls; gives up after `timeout` seconds).
    func waitUntilStored(_ ids: [UUID], timeout: Double = 30) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let stored = Set(entries.map(\.entryId))
            if ids.allSatisfy(stored.contains) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

}

/// The real `spasmwatch-manual`, on an HTTP port the system picks.
struct ManualProcess {
    let process: ChildProcess
    let port: Int

    /// `executable`: the built one, or a path (an installed copy).
    static func start(home: URL, arguments: [String] = [], executable: String = "spasmwatch-manual") async throws -> ManualProcess {
        let child = try ChildProcess(executable, ["--set", "manual.httpPort=0"] + arguments, home: home)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let range = child.stderr.range(of: "diary page at http://127.0.0.1:") {
                let digits = child.stderr[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) {
                    let configured = arguments.first { $0.hasPrefix("manual.httpToken=") }.map { String($0.dropFirst("manual.httpToken=".count)) }
                    let token = configured ?? TestSupport.httpToken(home: home)
                    PortTokens.shared.set(port, token)
                    return ManualProcess(process: child, port: port, token: token)
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("spasmwatch-manual did not start: \(child.stderr)")
    }

    /// The page token (`keys/http.token`, or `manual.httpToken` when the test set one).
    let token: String

    var base: String { "http://127.0.0.1:\(port)" }
    /// The page's address as `deploy/stack up` prints it: the first visit sets the cookie.
    var pageURL: String { "\(base)/?token=\(token)" }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The token of each loopback port a test started a server on, which `http` sends unless
/// the request names its own `Authorization` (or asks for none with `anonymous`).
final class PortTokens: @unchecked Sendable {
    // Safe: `tokens` is only touched while `lock` is held.
    private let lock = NSLock()
    private var tokens: [Int: String] = [:]
    static let shared = PortTokens()

    func set(_ port: Int, _ token: String) { lock.withLock { tokens[port] = token } }
    func token(_ port: Int?) -> String? { port.flatMap { port in lock.withLock { tokens[port] } } }
}

/// One real HTTP request (URLSession, no cookies kept between requests).
struct HTTPResult {
    let status: Int
    let body: Data
    let headers: [String: String]
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
    }
}

func http(_ method: String, _ url: String, body: String? = nil, headers: [String: String] = [:], anonymous: Bool = false) async throws -> HTTPResult {
    var request = URLRequest(url: URL(string: url)!)
    if !anonymous, headers["Authorization"] == nil, let token = PortTokens.shared.token(URL(string: url)?.port) {
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    }
    request.httpMethod = method
    request.httpShouldHandleCookies = false
    if let body {
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpShouldSetCookies = false
    let session = URLSession(configuration: configuration)
    defer { session.finishTasksAndInvalidate() }
    let (data, response) = try await session.data(for: request)
    let httpResponse = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (k, v) in httpResponse.allHeaderFields { fields["\(k)".lowercased()] = "\(v)" }
    return HTTPResult(status: httpResponse.statusCode, body: data, headers: fields)
}

/// The first "saved XXXXXXXX" short id a CLI run printed.
func savedShortId(_ output: String) -> String? {
    guard let range = output.range(of: "saved ") else { return nil }
    return String(output[range.upperBound...].prefix(8))
}
