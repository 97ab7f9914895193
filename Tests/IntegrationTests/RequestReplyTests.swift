import Foundation
import Logging
import SpasmBus
import SpasmErrors
import SpasmRuntime
import SpasmTestSupport
import Testing
import ZeroMQ

/// The one request/reply layer, over real ZeroMQ sockets (ipc in a temporary folder).
@Suite("Request/reply layer", .serialized)
struct RequestReplyTests {
    struct Ping: Codable, Sendable { var n: Int }
    struct Pong: Codable, Sendable {
        var ok: Bool
        var n: Int?
        var error: String?
    }
    struct Other: Codable, Sendable { var other: String }

    /// Answers after `delays[i]` seconds for its i-th request (an actor, as the diary desk is).
    actor Slow {
        var delays: [Double]
        var seen = 0
        init(_ delays: [Double]) { self.delays = delays }
        func answer(_ ping: Ping) async -> Pong {
            let delay = seen < delays.count ? delays[seen] : 0
            seen += 1
            if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
            return Pong(ok: true, n: ping.n * 2)
        }
    }

    func server(_ endpoint: String, context: ZMQContext, counters: CounterSet, slow: Slow) throws -> RequestReplyServer<Ping, Pong> {
        try RequestReplyServer<Ping, Pong>(
            name: "test-requests", context: context, endpoint: endpoint, counters: counters,
            counterPrefix: "pings", logger: Logger(label: "test"),
            refuse: { error, _ in Pong(ok: false, error: "not a ping: \(error)") }
        ) { await slow.answer($0) }
    }

    func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rr-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func typedRequestsFromManyTasksShareOneClientAndUndecodableOnesAreRefused() async throws {
        let dir = try folder("typed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = ZMQContext()
        let counters = CounterSet()
        let endpoint = "ipc://\(dir.path)/pings.sock"
        let server = try server(endpoint, context: context, counters: counters, slow: Slow([]))
        let serving = Task { try await server.run() }
        let client = RequestClient<Ping, Pong>(context: context, endpoint: endpoint)
        let answers = try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
            for n in 0..<20 { group.addTask { (n, try await client.ask(Ping(n: n)).n) } }
            return try await group.reduce(into: [Int: Int?]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 20)
        #expect(answers.allSatisfy { $0.value == $0.key * 2 }, "each task got its own reply")

        // A request that does not decode: the service's own sentence, counted.
        let wrong = RequestClient<Other, Pong>(context: context, endpoint: endpoint)
        let refused = try await wrong.ask(Other(other: "x"))
        #expect(refused.ok == false)
        #expect(refused.error?.hasPrefix("not a ping: ") == true, "\(refused.error ?? "")")
        #expect(counters["pings.refused"] == 1)
        #expect(counters["pings.answered"] == 21)

        // A reply of another shape is a bad reply, not a crash or a hang.
        let confused = RequestClient<Ping, Other>(context: context, endpoint: endpoint)
        do {
            _ = try await confused.ask(Ping(n: 1))
            Issue.record("a reply of another shape must not decode")
        } catch {
            guard error.code == .requestBadReply else {
                Issue.record("expected a bad reply, got \(error)")
                return
            }
        }
        serving.cancel()
        _ = try? await serving.value
        await onBlockingPool { context.terminate() }  // returns although the clients still hold their sockets
    }

    @Test func aLostReplyTimesOutAndTheNextRequestIsAnsweredOnAFreshSocket() async throws {
        let dir = try folder("timeout")
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = ZMQContext()
        let endpoint = "ipc://\(dir.path)/pings.sock"
        let server = try server(endpoint, context: context, counters: CounterSet(), slow: Slow([2]))
        let serving = Task { try await server.run() }
        let client = RequestClient<Ping, Pong>(context: context, endpoint: endpoint)
        do {
            _ = try await client.ask(Ping(n: 1), timeout: 0.2)
            Issue.record("the first reply comes after the timeout")
        } catch {
            #expect(error == .requestTimedOut(endpoint: endpoint, seconds: 0.2))
            #expect(error.description.contains("no reply from \(endpoint)"))
        }
        // A REQ socket that missed its reply would refuse to send again; this one was made anew.
        #expect(try await client.ask(Ping(n: 21), timeout: 20).n == 42)
        serving.cancel()
        _ = try? await serving.value
        await onBlockingPool { context.terminate() }
    }

    @Test func nobodyListeningIsNotRunningAtOnce() async throws {
        let dir = try folder("none")
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = ZMQContext()
        let endpoint = "ipc://\(dir.path)/nobody.sock"
        let client = RequestClient<Ping, Pong>(context: context, endpoint: endpoint)
        do {
            _ = try await client.ask(Ping(n: 1), timeout: 60)
            Issue.record("nobody answers")
        } catch {
            #expect(error == .requestNotRunning(endpoint: endpoint))
        }
        await onBlockingPool { context.terminate() }
        do {
            _ = try await client.ask(Ping(n: 1), timeout: 60)
        } catch {
            #expect(error == .requestNotRunning(endpoint: endpoint) || error == .requestClosed(endpoint: endpoint))
        }
    }
}
