import Foundation
import SpasmBus
import SpasmConfig
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmStore
import SpasmTestSupport
import Testing
import ZeroMQ

/// Every request to a real process gets bounded work and an answer: a hostile query is
/// refused while others are served, and a request over the size limit hears why.
@Suite("Bounded requests to real processes", .serialized)
struct BoundedRequestProcessTests {
    func endpoints(_ home: URL) -> Endpoints { Endpoints(home: DataHome(root: home), configuration: Configuration()) }

    /// One request on a fresh REQ socket; the reply's JSON, or nil when none came in 20 s.
    static func request(_ parts: [Data], endpoint: String, context: ZMQContext) async throws -> [String: Any]? {
        let reply: Data? = try await offPoolThrowing {
            let socket = try ZMQSocket(context: context, type: .req)
            defer { socket.close() }
            try socket.setReceiveTimeout(milliseconds: 20_000)
            try socket.setLinger(milliseconds: 0)
            try socket.connect(endpoint)
            _ = try socket.send(parts)
            return try socket.receiveMultipart()?.last
        }
        return try reply.map { try JSONSerialization.jsonObject(with: $0) as? [String: Any] ?? [:] }
    }

    /// The field's query (statistics over 1 million days) took 10 s and blocked other queries.
    @Test func aHostileStoreQueryIsRefusedWhileAnotherClientIsServed() async throws {
        let home = try TestSupport.temporaryHome("bounded-store")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let endpoint = endpoints(home).storeQuery
        let context = ZMQContext()

        let hostile = Data(#"{"query":"statistics","from":-92811893000,"to":1764072000}"#.utf8)
        async let refused = Self.request([hostile], endpoint: endpoint, context: context)
        async let ordinary = StoreClient.query(StoreRequest(query: .info), context: context, endpoint: endpoint, timeoutSeconds: 20)
        let (refusal, info) = try await (refused, ordinary)
        #expect(info.info != nil, "the other client is answered")
        #expect(refusal?["ok"] as? Bool == false)
        let error = refusal?["error"] as? String ?? "no reply"
        #expect(error.contains("at most 400 days"), "\(error)")

        // Past the 1 MiB the store reads: a reply that says so, not silence.
        let big = Data(#"{"query":"info","person":""#.utf8) + Data(repeating: UInt8(ascii: "a"), count: 2 << 20) + Data(#""}"#.utf8)
        let tooBig = try await Self.request([big], endpoint: endpoint, context: context)
        #expect(tooBig?["ok"] as? Bool == false)
        #expect(tooBig?["error"] as? String == "request is \(big.count) bytes; at most 1048576 bytes are allowed")
        // A NaN names its field over the wire too.
        let nan = try await Self.request([Data(#"{"query":"entries","from":NaN}"#.utf8)], endpoint: endpoint, context: context)
        #expect((nan?["error"] as? String)?.contains("field 'from' is NaN") == true, "\(nan ?? [:])")
        // And the store still answers.
        #expect(try await StoreClient.query(StoreRequest(query: .info), context: context, endpoint: endpoint).ok)

        await onBlockingPool { context.terminate() }
        await store.stop()
        #expect(store.process.terminationStatus == 0)
        await bus.stop()
    }

    @Test func oversizeDiaryRequestsAndProducerFramesGetTheirReply() async throws {
        let home = try TestSupport.temporaryHome("bounded-ingest")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let manual = try await ManualProcess.start(home: home)
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        let ep = endpoints(home)
        let context = ZMQContext()

        let big = Data(#"{"v":1,"op":"recent","via":""#.utf8) + Data(repeating: UInt8(ascii: "a"), count: 3 << 20) + Data(#""}"#.utf8)
        let manualReply = try await Self.request([big], endpoint: ep.manualRequests, context: context)
        #expect(manualReply?["ok"] as? Bool == false)
        #expect(manualReply?["error"] as? String == "request is \(big.count) bytes; at most 1048576 bytes are allowed")
        let recent = try await Self.request([Data(#"{"v":1,"op":"recent","limit":1}"#.utf8)], endpoint: ep.manualRequests, context: context)
        #expect(recent?["ok"] as? Bool == true, "the diary still answers")
        // A negative limit used to trap in `prefix` and take the service down.
        let negative = try await Self.request([Data(#"{"v":1,"op":"episodes","limit":-1}"#.utf8)], endpoint: ep.manualRequests, context: context)
        #expect(negative?["ok"] as? Bool == true, "\(negative ?? [:])")
        #expect(manual.process.isRunning)
        // The version as a string: the reply says what to send.
        let string = try await Self.request([Data(#"{"v":"1","op":"recent"}"#.utf8)], endpoint: ep.manualRequests, context: context)
        #expect(string?["error"] as? String == #"not a manual request: 'v' must be the number 1, not a string: send "v":1"#)

        // A 2 MiB sensor frame: 256 KiB is the limit, and the producer hears it.
        let header = Data(#"{"v":1,"sensorId":"ankle-r","kind":"imu","placement":"right-ankle","sampleRate":100,"unit":"g"}"#.utf8)
        let samples = Data(count: 2 << 20)
        let frameReply = try await Self.request([header, samples], endpoint: ep.sensorProducers, context: context)
        #expect(frameReply?["ok"] as? Bool == false)
        #expect(
            frameReply?["error"] as? String
                == "frame is \(header.count + samples.count) bytes; at most 262144 bytes are allowed (send shorter frames)")
        #expect(frameReply?["reason"] as? String == "size")

        await onBlockingPool { context.terminate() }
        await sensor.stop()
        await manual.process.stop()
        await bus.stop()
    }
}

/// `spasmwatch export` reads more rows than one query returns, page by page, none twice.
@Suite("Export pages through the row cap", .serialized)
struct ExportPagingProcessTests {
    @Test func anExportOfMoreThanOnePageHasEveryEntryOnce() async throws {
        let home = try TestSupport.temporaryHome("bounded-export")
        defer { try? FileManager.default.removeItem(at: home) }
        // 10,050 entries written straight into the database; 30 share the time at a page boundary.
        let count = StoreQueryEngine.maxLimit + 50
        do {
            let database = try AppDatabase.open(url: home.appendingPathComponent("data/spasmwatch.sqlite"))
            let base = 1_764_000_000.0
            let messages = try (0..<count).map { n -> BusMessage in
                let at = n >= 30 && n < 60 ? base + 30 : base + Double(n)
                let entry = DiaryEntry(recordedAt: at, via: "test", kind: .spasm, spasm: SpasmRecord(at: at, type: .phasic, severity: 1))
                let header = EnvelopeHeader(
                    type: DiaryEntry.messageType, id: UUID(), source: "manual", epoch: 1, seq: UInt64(n),
                    time: at, person: "me")
                return try BusMessage(frames: [
                    Data(Topic.manualEntry.utf8),
                    try WireCodec.assemble(header: header, bodyJSON: WireCodec.encode(entry)),
                ])
            }
            _ = try StoreIngestor(database: database).store(messages)
        }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let file = home.appendingPathComponent("export.json")
        let export = try ChildProcess("spasmwatch", ["export", "--format", "json", "--out", file.path], home: home)
        #expect(await export.wait(timeout: 60) == 0, "\(export.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let entries = json?["entries"] as? [[String: Any]] ?? []
        #expect(entries.count == count)
        let ids = entries.compactMap { ($0["entry"] as? [String: Any])?["entryId"] as? String }
        #expect(Set(ids).count == count, "no entry twice")
        let times = entries.compactMap { $0["at"] as? Double }
        #expect(times == times.sorted(), "oldest first")
        await store.stop()
        await bus.stop()
    }
}
