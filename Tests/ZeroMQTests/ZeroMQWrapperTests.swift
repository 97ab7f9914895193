import CZeroMQ
import Foundation
import SpasmErrors
import Testing

@testable import ZeroMQ

@Suite("libzmq wrapper")
struct ZeroMQWrapperTests {
    @Test func libzmqHasWhatWeNeed() {
        #expect(ZMQContext.has("ipc"))
        #expect(ZMQContext.has("curve"))
        #expect(ZMQContext.version.hasPrefix("4."))
    }

    @Test func multipartMessagesCrossIntact() throws {
        let context = ZMQContext()
        defer { context.terminate() }
        let pull = try ZMQSocket(context: context, type: .pull)
        let push = try ZMQSocket(context: context, type: .push)
        defer {
            pull.close()
            push.close()
        }
        try pull.bind("inproc://multipart")
        try push.connect("inproc://multipart")
        let parts = [Data("topic".utf8), Data(), Data([0, 1, 2, 255])]
        try push.send(parts)
        try pull.setReceiveTimeout(milliseconds: 2000)
        #expect(try pull.receiveMultipart() == parts)
    }

    @Test func errorsKeepErrnoSoCallersCanTellThemApart() throws {
        let context = ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("inproc://errors")
        // Nothing queued: a non-blocking receive reports "nothing" rather than failing.
        #expect(try pull.receiveMultipart(dontWait: true) == nil)
        // A bad endpoint is a real error with its errno.
        let bad = #expect(throws: SpasmError.self) { try pull.bind("nonsense://x") }
        #expect(bad?.code == .zeroMQ && bad?.errorNumber != nil && bad?.isAgain == false)
        #expect(bad?.description.contains("zmq_bind nonsense://x") == true)
        // After shutdown, blocking calls fail with ETERM.
        context.shutdown()
        let term = #expect(throws: SpasmError.self) { try pull.receiveMultipart() }
        #expect(term?.isTerminated == true)
        pull.close()
        context.terminate()
    }

    @Test func pollerReportsReadableSockets() throws {
        let context = ZMQContext()
        defer { context.terminate() }
        let a = try ZMQSocket(context: context, type: .pull)
        let b = try ZMQSocket(context: context, type: .pull)
        let pa = try ZMQSocket(context: context, type: .push)
        defer {
            a.close()
            b.close()
            pa.close()
        }
        try a.bind("inproc://poll-a")
        try b.bind("inproc://poll-b")
        try pa.connect("inproc://poll-a")
        var poller = ZMQPoller()
        poller.add(a)
        poller.add(b)
        #expect(try poller.poll(timeoutMilliseconds: 0) == [])
        try pa.send(Data("x".utf8))
        #expect(try poller.poll(timeoutMilliseconds: 2000) == [0])
    }

    @Test func optionsAreApplied() throws {
        let context = ZMQContext()
        defer { context.terminate() }
        let socket = try ZMQSocket(context: context, type: .pub)
        defer { socket.close() }
        try socket.setSendHighWaterMark(123_456)
        #expect(try socket.getInt32(ZMQ_SNDHWM_VALUE, "ZMQ_SNDHWM") == 123_456)
        try socket.bind("tcp://127.0.0.1:*")
        #expect(socket.lastEndpoint?.hasPrefix("tcp://127.0.0.1:") == true)
    }

    @Test func socketMonitorReportsAConnectionAndItsLoss() throws {
        let context = ZMQContext()
        defer { context.terminate() }
        let endpoint = "ipc://\(NSTemporaryDirectory())zmq-monitor-\(UUID().uuidString.prefix(8)).sock"
        let publisher = try ZMQSocket(context: context, type: .pub)
        let monitor = try ZMQMonitor(watching: publisher, context: context)
        defer {
            monitor.close()
            publisher.close()
        }
        func waitFor(_ event: UInt16) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if monitor.drain().contains(where: { $0.event == event }) { return true }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return false
        }
        try publisher.setReconnectInterval(milliseconds: 50, max: 200)
        try publisher.connect(endpoint)
        let broker = try ZMQSocket(context: context, type: .xsub)
        try broker.bind(endpoint)
        #expect(waitFor(ZMQMonitorEvent.handshakeSucceeded))
        broker.close()
        #expect(waitFor(ZMQMonitorEvent.disconnected))
    }

    @Test func curveRefusesPlainClientsAndAcceptsKeyedOnes() throws {
        let context = ZMQContext()
        defer { context.terminate() }
        let server = try CurveKeys.generate()
        let client = try CurveKeys.generate()
        #expect(server.publicKey.count == 40)
        #expect(try CurveKeys.publicKey(forSecret: server.secretKey) == server.publicKey)
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.makeCurveServer(secretKey: server.secretKey)
        try pull.bind("tcp://127.0.0.1:*")
        let endpoint = try #require(pull.lastEndpoint)
        try pull.setReceiveTimeout(milliseconds: 1500)

        let plain = try ZMQSocket(context: context, type: .push)
        try plain.connect(endpoint)
        try plain.send(Data("plain".utf8), dontWait: true)
        #expect(try pull.receiveMultipart() == nil, "a client without CURVE must not get through")

        let keyed = try ZMQSocket(context: context, type: .push)
        try keyed.makeCurveClient(serverKey: server.publicKey, publicKey: client.publicKey, secretKey: client.secretKey)
        try keyed.connect(endpoint)
        try keyed.send(Data("secret".utf8))
        #expect(try pull.receiveMultipart() == [Data("secret".utf8)])
        plain.close()
        keyed.close()
        pull.close()
    }
}

let ZMQ_SNDHWM_VALUE = ZMQ_SNDHWM
