import Foundation
import SpasmSchema
import SpasmTestSupport
import Testing

/// The real executables, as separate processes, each test in its own data home.
@Suite("Bus processes", .serialized)
struct BusProcessTests {
    /// A message crosses from a publisher process to a subscriber process through the real
    /// broker; a subscriber that joins late (or stalls) blocks nobody; SIGTERM exits 0.
    @Test func messagesCrossLateJoinersBlockNothingAndShutdownIsClean() async throws {
        let home = try TestSupport.temporaryHome("bus")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let publisher = try ChildProcess("spasmwatch-notify", home: home)  // a service: it heartbeats

        // Subscriber process: the CLI's tail, as JSON.
        let first = try ChildProcess("spasmwatch", ["tail", "heartbeat.spasmwatch-notify", "--count", "2", "--json", "--seconds", "30"], home: home)
        #expect(await first.wait(timeout: 20) == 0)
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let beat = try WireCodec.decode(Heartbeat.self, from: Data(try #require(lines.first).utf8))
        #expect(beat.body.service == "spasmwatch-notify")
        #expect(beat.header.source == "notify")

        // A stalled subscriber (stopped with SIGSTOP) must not hold up a late joiner.
        let stalled = try ChildProcess("spasmwatch", ["tail", "", "--seconds", "60"], home: home)
        try await Task.sleep(for: .milliseconds(500))
        stalled.signal(SIGSTOP)
        try await Task.sleep(for: .seconds(2))
        let late = try ChildProcess("spasmwatch", ["tail", "heartbeat.spasmwatch-notify", "--count", "1", "--json", "--seconds", "30"], home: home)
        #expect(await late.wait(timeout: 20) == 0)
        let lateBeat = try WireCodec.decode(Heartbeat.self, from: Data(try #require(late.stdout.split(separator: "\n").first).utf8))
        #expect(lateBeat.header.seq > beat.header.seq, "the publisher kept going while a subscriber was stalled")
        stalled.signal(SIGCONT)
        await stalled.stop()

        // Clean exits on SIGTERM.
        publisher.signal(SIGTERM)
        #expect(await publisher.wait(timeout: 15) == 0)
        bus.signal(SIGTERM)
        #expect(await bus.wait(timeout: 15) == 0)
        #expect(bus.stderr.contains("stopped"))
    }

    @Test func aSecondBusOnTheSameHomeIsRefused() async throws {
        let home = try TestSupport.temporaryHome("bus2")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let second = try ChildProcess("spasmwatch-bus", home: home)
        let status = await second.wait(timeout: 15)
        #expect(status != nil && status != 0)
        #expect(second.stderr.contains("already running"))
        // The first still serves: a subscriber sees its heartbeat.
        let tail = try ChildProcess("spasmwatch", ["tail", "heartbeat.spasmwatch-bus", "--count", "1", "--seconds", "30"], home: home)
        #expect(await tail.wait(timeout: 15) == 0)
        #expect(tail.stdout.contains("heartbeat.spasmwatch-bus"))
        await bus.stop()
        #expect(bus.process.terminationStatus == 0)
    }

    @Test func statusListsServicesAndFailsWhenOneIsMissing() async throws {
        let home = try TestSupport.temporaryHome("status")
        defer { try? FileManager.default.removeItem(at: home) }
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let missing = try ChildProcess("spasmwatch", ["status"], home: home)
        #expect(await missing.wait(timeout: 20) == 1)
        #expect(missing.stdout.contains("spasmwatch-store"))
        #expect(missing.stdout.contains("MISSING"))
        let ok = try ChildProcess("spasmwatch", ["status", "--set", "expectedServices=spasmwatch-bus,spasmwatch-store"], home: home)
        #expect(await ok.wait(timeout: 20) == 0)
        #expect(ok.stdout.contains("alive"))
        #expect(!ok.stdout.contains("MISSING"))
        // Home Assistant turned on: spasmwatch-mqtt should be running too, and it is not.
        let mqtt = try ChildProcess(
            "spasmwatch", ["status", "--set", "expectedServices=spasmwatch-bus,spasmwatch-store", "--set", "mqtt.url=mqtt://127.0.0.1:1883"],
            home: home)
        #expect(await mqtt.wait(timeout: 20) == 1)
        #expect(mqtt.stdout.split(separator: "\n").contains { $0.contains("spasmwatch-mqtt") && $0.contains("MISSING") }, "\(mqtt.stdout)")
        await store.stop()
        await bus.stop()
    }

    /// Services reconnect by themselves when the bus restarts.
    @Test func servicesReconnectAfterTheBusRestarts() async throws {
        let home = try TestSupport.temporaryHome("restart")
        defer { try? FileManager.default.removeItem(at: home) }
        var bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let detect = try ChildProcess("spasmwatch-detect", home: home)
        #expect(await detect.waitForOutput("started"))
        await bus.stop()
        bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let tail = try ChildProcess("spasmwatch", ["tail", "heartbeat.spasmwatch-detect", "--count", "1", "--seconds", "20"], home: home)
        #expect(await tail.wait(timeout: 25) == 0)
        #expect(tail.stdout.contains("heartbeat.spasmwatch-detect"))
        await detect.stop()
        await bus.stop()
    }
}
