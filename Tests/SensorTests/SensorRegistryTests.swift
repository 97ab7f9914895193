import Foundation
import SpasmSchema
import Testing

@testable import spasmwatch_sensor

/// Which sensors are worn or test sensors, the caps, expiry, forgetting, and a bounded
/// heartbeat (issue 11, point 5).
@Suite("Ingestion: worn and test sensors, caps, expiry", .serialized)
struct SensorRegistryTests {
    static let t = 1_795_000_000.0

    @Test func aSensorIsWornOnceItHasSentForWornAfterSecondsOrIsNamed() async throws {
        let h = try CoreHarness("worn") {
            $0.wornAfterSeconds = 10
            $0.worn = ["named"]
        }
        let t = Self.t
        #expect(h.send("named", start: nil, now: t).ok)
        #expect(h.status("named", now: t)?.worn == true, "named in sensor.worn: worn from its first frame")
        for i in 0...40 { #expect(h.send("ankle", start: nil, now: t + Double(i) * 0.25).ok) }
        #expect(h.status("ankle", now: t + 10)?.worn == true, "10 s of frames")
        #expect(h.status("ankle", now: t + 10)?.watched == true)
        for i in 0...3 { #expect(h.send("quick", start: nil, now: t + Double(i) * 0.25).ok) }
        #expect(h.status("quick", now: t + 1)?.worn == false, "a one-second test is never worn")
        #expect(h.status("quick", now: t + 1)?.sendingSince == t)
        // A test sensor may be worn, but is never watched.
        for i in 0...40 { #expect(h.send("replay", start: nil, now: t + Double(i) * 0.25, test: true).ok) }
        let replay = try #require(h.status("replay", now: t + 11))
        #expect(replay.test == true)
        #expect(replay.watched == false)
        #expect(h.status("named", now: t)?.person == "me")
        await h.close()
    }

    @Test func wornCountsFromTheEndOfTheLastSilence() async throws {
        let h = try CoreHarness("worn-silence") {
            $0.wornAfterSeconds = 60
            $0.silentAfterSeconds = 30
        }
        let t = Self.t
        // A frame every 20 s for a while: never silent for 30 s, so it counts.
        #expect(h.send(start: nil, now: t).ok)
        #expect(h.send(start: nil, now: t + 20).ok)
        // Then away for a minute: the count starts again.
        #expect(h.send(start: nil, now: t + 80).ok)
        #expect(h.status(now: t + 80)?.worn == false)
        #expect(h.status(now: t + 80)?.sendingSince == t + 80)
        #expect(h.send(start: nil, now: t + 100).ok)
        #expect(h.send(start: nil, now: t + 120).ok)
        #expect(h.send(start: nil, now: t + 140).ok)
        #expect(h.status(now: t + 140)?.worn == true)
        await h.close()
    }

    @Test func theTestFlagIsPublishedOnTheBusAndAnythingButABoolIsRefused() async throws {
        let h = try CoreHarness("test-flag")
        var outgoing: [[Data]] = []
        let reply = h.core.ingest(
            json: CoreHarness.frame("demo", start: nil, test: true), binary: nil, via: "test", producerKey: "p",
            now: Self.t, outgoing: &outgoing)
        #expect(reply.ok)
        let frameJSON = try #require(outgoing.last?[1])
        #expect(String(decoding: frameJSON, as: UTF8.self).contains(#""test":true"#))
        var plain: [[Data]] = []
        _ = h.core.ingest(
            json: CoreHarness.frame("real", start: nil), binary: nil, via: "test", producerKey: "p", now: Self.t,
            outgoing: &plain)
        #expect(!String(decoding: try #require(plain.last?[1]), as: UTF8.self).contains("test"), "no flag: nothing added")
        let bad = h.core.ingest(
            json: Data(
                #"{"v":1,"sensorId":"x","kind":"imu","placement":"left-wrist","sampleRate":50,"unit":"g","samples":[0,0,1],"test":"yes"}"#.utf8),
            binary: nil, via: "test", producerKey: "p", now: Self.t)
        #expect(bad.error == "test must be true or false (true marks a test sensor: replays, simulations, examples)")
        await h.close()
    }

    @Test func theCapsRefuseNewSensorsWithAClearErrorAndCountIt() async throws {
        let h = try CoreHarness("caps") {
            $0.maxSensorsPerProducer = 3
            $0.maxSensors = 5
        }
        let t = Self.t
        for i in 0..<3 { #expect(h.send("a\(i)", start: nil, now: t, producer: "one").ok) }
        let refused = h.send("a3", start: nil, now: t, producer: "one")
        #expect(refused.ok == false)
        #expect(refused.error == "too many sensors: at most 3 per producer; forget old ones with spasmwatch sensors forget ID")
        #expect(refused.reason == "sensor-limit")
        #expect(h.send("a0", start: nil, now: t + 0.25, producer: "one").ok, "known sensors carry on")
        for i in 0..<2 { #expect(h.send("b\(i)", start: nil, now: t, producer: "two").ok) }
        #expect(
            h.send("b2", start: nil, now: t, producer: "two").error
                == "too many sensors: at most 5 in all; forget old ones with spasmwatch sensors forget ID")
        #expect(h.counters["rejected.sensor-limit"] == 2)
        // Forgetting one makes room.
        #expect(h.core.forget("a1")?.sensorId == "a1")
        #expect(h.core.forget("a1") == nil)
        #expect(h.send("a3", start: nil, now: t + 0.5, producer: "one").ok)
        #expect(h.core.sensorStatuses(now: t + 1).map(\.sensorId) == ["a0", "a2", "a3", "b0", "b1"])
        await h.close()
    }

    @Test func aSensorUnseenForADayIsForgotten() async throws {
        let h = try CoreHarness("expire") { $0.maxSensorsPerProducer = 2 }
        let t = Self.t
        #expect(h.send("old", start: nil, now: t).ok)
        #expect(h.send("new", start: nil, now: t + 80_000).ok)
        #expect(h.core.sensorStatuses(now: t + 86_000).count == 2)
        #expect(h.core.sensorStatuses(now: t + 86_401).map(\.sensorId) == ["new"])
        #expect(h.counters["sensors.expired"] == 1)
        #expect(h.send("third", start: nil, now: t + 86_402).ok, "the expired sensor no longer counts toward the cap")
        await h.close()
    }

    @Test func theHeartbeatListsAtMostItsLimitWornSensorsFirstAndSaysHowManyMore() async throws {
        let h = try CoreHarness("heartbeat") {
            $0.worn = ["w1", "w2"]
            $0.maxSensorsPerProducer = 10_000
            $0.maxSensors = 10_000
        }
        let t = Self.t
        for i in 0..<2000 { #expect(h.send(String(format: "id%04d", i), start: nil, now: t + Double(i) * 0.001).ok) }
        #expect(h.send("w1", start: nil, now: t).ok)
        #expect(h.send("w2", start: nil, now: t).ok)
        let (info, sensors) = h.core.heartbeatSensors(now: t + 5, limit: 64)
        #expect(sensors.count == 64)
        #expect(sensors.contains { $0.sensorId == "w1" } && sensors.contains { $0.sensorId == "w2" }, "worn sensors are always listed")
        #expect(sensors.contains { $0.sensorId == "id1999" }, "then the most recent")
        #expect(info["sensors"] == "2002 known, 2 worn (watched when silent); 64 listed here, 1938 more: spasmwatch sensors lists all")
        let bytes = try WireCodec.encode(
            Heartbeat(
                service: "spasmwatch-sensor", instance: "sensor", pid: 1, version: "0",
                uptimeSeconds: 1, info: info, sensors: sensors)
        ).count
        #expect(bytes < 40_000, "a heartbeat stays small: \(bytes) bytes")
        await h.close()
    }

    @Test func theLocalEndpointListsAndForgets() async throws {
        let h = try CoreHarness("requests")
        #expect(h.send("curl-calf", start: nil, now: Date().timeIntervalSince1970, test: true).ok)
        let list = try JSONDecoder().decode(SensorReply.self, from: h.core.answer(Data(#"{"op":"list"}"#.utf8)))
        #expect(list.ok)
        #expect(list.sensors?.map(\.sensorId) == ["curl-calf"])
        #expect(list.sensors?.first?.test == true)
        let unknown = try JSONDecoder().decode(SensorReply.self, from: h.core.answer(Data(#"{"op":"forget","sensorId":"nope"}"#.utf8)))
        #expect(unknown.ok == false)
        #expect(unknown.error == "no sensor 'nope' is known; known: curl-calf")
        let forgot = try JSONDecoder().decode(SensorReply.self, from: h.core.answer(Data(#"{"op":"forget","sensorId":"curl-calf"}"#.utf8)))
        #expect(forgot.ok)
        #expect(h.core.sensorStatuses().isEmpty)
        let nonsense = try JSONDecoder().decode(SensorReply.self, from: h.core.answer(Data("{}".utf8)))
        #expect(nonsense.ok == false)
        await h.close()
    }
}
