import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// The live path (replay → sensor ingestion → bus → spasmwatch-detect) finds the same
/// episodes as `spasmwatch-detect scan` on the same recording.
@Suite("Detection processes", .serialized)
struct DetectProcessTests {
    @Test(.enabled(if: TestSupport.sharedDirectory != nil, "../shared/eval/dev is not present beside the repository"))
    func liveAndScanAgree() async throws {
        let recording = try #require(TestSupport.sharedDirectory).appendingPathComponent("eval/dev/imu_ankle_b.csv")
        let home = try TestSupport.temporaryHome("detect-live")
        defer { try? FileManager.default.removeItem(at: home) }
        let scan = try ChildProcess("spasmwatch-detect", ["scan", recording.path], home: home)
        #expect(await scan.wait(timeout: 120) == 0)
        let scanned: [(kind: String, start: Double)] = scan.stdout.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: ",")
            guard f.count >= 3, let s = Double(f[0]) else { return nil }
            return (String(f[2]), s)
        }
        #expect(scanned.count >= 10)

        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        let detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        #expect(await detect.waitForOutput("detection ready"))
        let ep = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let context = ZMQContext()
        let subscriber = try BusSubscriber(context: context, address: BusAddress(publish: ep.busPublish, subscribe: ep.busSubscribe),
                                           prefixes: ["episode.", "sensor.frame.live"])
        try await Task.sleep(for: .seconds(1))
        let replay = try ChildProcess("spasmwatch-sensor", ["replay", recording.path, "--speed", "max", "--sensor-id", "live"], home: home)
        #expect(await replay.wait(timeout: 180) == 0, "\(replay.stdout)")

        var base: Double?
        var ends: [EpisodeEvent] = []
        var onsets = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && ends.count < scanned.count {
            for m in subscriber.next(timeout: 0.2) ?? [] {
                if m.topic.hasPrefix("sensor.frame."), base == nil { base = try m.decode(SensorFrame.self).body.firstSampleTime }
                if let e = try? m.decode(EpisodeEvent.self).body {
                    if e.phase == .end { if !ends.contains(where: { $0.episodeId == e.episodeId }) { ends.append(e) } } else { onsets += 1 }
                }
            }
        }
        let t0 = try #require(base)
        #expect(ends.count == scanned.count, "live: \(ends.map { "\($0.kind.rawValue)@\(String(format: "%.2f", $0.start - t0))" })")
        #expect(onsets >= scanned.count)
        for row in scanned {
            let match = ends.first { $0.kind.rawValue == row.kind && abs(($0.start - t0) - row.start) < 0.05 }
            #expect(match != nil, "scan found \(row.kind) at \(row.start) s; live did not")
        }
        await subscriber.closeAsync()
        context.terminate()
        for p in [detect, sensor, bus] { await p.stop() }
        #expect(detect.process.terminationStatus == 0)
    }
}

/// Two detector instances split the sensors between them, and both keep running.
@Suite("Detection scale-out", .serialized)
struct DetectShardProcessTests {
    @Test func twoInstancesSplitTheSensors() async throws {
        let home = try TestSupport.temporaryHome("detect-shards")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpPort=0"], home: home)
        let first = try ChildProcess("spasmwatch-detect", ["--shard", "0/2"], home: home)
        let second = try ChildProcess("spasmwatch-detect", ["--shard", "1/2"], home: home)
        #expect(await sensor.waitForOutput("producer endpoint ready"))
        #expect(await first.waitForOutput("detection ready"))
        #expect(await second.waitForOutput("detection ready"))
        let simulate = try ChildProcess("spasmwatch-sensor", ["simulate", "--sensors", "6", "--kind", "imu", "--duration", "3",
                                                              "--speed", "max"], home: home)
        #expect(await simulate.wait(timeout: 120) == 0)
        try await Task.sleep(for: .seconds(2))
        let status = try ChildProcess("spasmwatch", ["status", "--set", "expectedServices=spasmwatch-bus,spasmwatch-detect"], home: home)
        #expect(await status.wait(timeout: 30) == 0)
        let lines = status.stdout.split(separator: "\n").filter { $0.hasPrefix("spasmwatch-detect") }
        #expect(lines.count == 2, "\(status.stdout)")
        #expect(lines.contains { $0.contains("detect-0") && $0.contains("alive") })
        #expect(lines.contains { $0.contains("detect-1") && $0.contains("alive") })
        let counts = lines.compactMap { line -> Int? in
            guard let range = line.range(of: "sensors=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(counts.count == 2)
        #expect(counts.reduce(0, +) == 6, "each sensor is taken by exactly one instance: \(counts)")
        #expect(counts.allSatisfy { $0 > 0 })
        for p in [second, first, sensor, bus] { await p.stop() }
        #expect(first.process.terminationStatus == 0)
        #expect(second.process.terminationStatus == 0)
    }
}
