import Foundation
import SpasmBus
import SpasmConfig
import SpasmProducer
import SpasmSchema
import SpasmTestSupport
import Testing
import ZeroMQ

/// The device list a person understands: kind, where worn, battery, rate, last seen; rename
/// and move with `spasmwatch sensors`, kept across a restart of sensor ingestion; a moved
/// device's frames are published at its new site.
@Suite("Device list", .serialized)
struct DeviceListProcessTests {
    static func frame(_ id: String, at t: Double, placement: String = "right-thigh", battery: String = "80") -> Data {
        let samples = Array(repeating: "0,0,1", count: 30).joined(separator: ",")
        return Data(
            #"{"v":1,"sensorId":"\#(id)","kind":"imu","placement":"\#(placement)","sampleRate":60,"unit":"g","firstSampleTime":\#(t),"device":"phone","battery":\#(battery),"samples":[\#(samples)]}"#
                .utf8)
    }

    static func cli(_ arguments: [String], home: URL) async throws -> ChildProcess {
        let run = try ChildProcess("spasmwatch", arguments, home: home)
        _ = await run.wait(timeout: 30)
        return run
    }

    static func list(home: URL) async throws -> [[String: Any]] {
        let run = try await cli(["sensors", "--json"], home: home)
        return (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    @Test func renameAndMoveAreShownKeptAndUsed() async throws {
        let home = try TestSupport.temporaryHome("devices")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = SecondHost.freePort(on: "127.0.0.1")
        try #"{"sensor": {"httpPort": \#(port)}}"#.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        var sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected", timeout: 30))
        let ep = Endpoints(home: DataHome(root: home), configuration: Configuration())
        let context = ZMQContext()
        defer { context.terminate() }
        let subscriber = try BusSubscriber(
            context: context, address: BusAddress(publish: ep.busPublish, subscribe: ep.busSubscribe),
            prefixes: ["sensor.frame.phone-1"])
        try await Task.sleep(for: .milliseconds(300))
        let start = Date().timeIntervalSince1970 - 10
        let replies: [ProducerReply] = try await offPoolThrowing {
            let producer = try SensorProducer(
                endpoint: ep.sensorProducers, sensor: .init(sensorId: "x", kind: .imu, placement: .rightThigh, sampleRate: 60),
                context: context)
            defer { producer.close() }
            return [
                try producer.send(json: Self.frame("phone-1", at: start), binary: nil),
                try producer.send(json: Self.frame("phone-1", at: start + 0.5, battery: "150"), binary: nil),
            ]
        }
        #expect(replies[0].ok, "\(replies[0])")
        #expect(replies[1].ok == false)
        #expect(replies[1].field == "battery" && replies[1].reason == "range", "\(replies[1])")
        #expect(replies[1].error?.contains("0 to 100") == true)

        var shown = try await Self.list(home: home).first { $0["sensorId"] as? String == "phone-1" }
        #expect(shown?["device"] as? String == "phone")
        #expect(shown?["battery"] as? Double == 80)
        #expect(shown?["placement"] as? String == "right-thigh")

        let renamed = try await Self.cli(["sensors", "rename", "phone-1", "My phone"], home: home)
        #expect(renamed.process.terminationStatus == 0, "\(renamed.stderr)")
        #expect(renamed.stdout.contains("renamed phone-1 to \"My phone\""))
        let moved = try await Self.cli(["sensors", "move", "phone-1", "left-forearm"], home: home)
        #expect(moved.process.terminationStatus == 0, "\(moved.stderr)")
        let refused = try await Self.cli(["sensors", "move", "phone-1", "left-elbow"], home: home)
        #expect(refused.process.terminationStatus == 1)
        #expect(refused.stderr.contains("'left-elbow' is not a body site; allowed:"), "\(refused.stderr)")
        let typo = try await Self.cli(["sensors", "move", "phone-1", "left-forarm"], home: home)
        #expect(typo.process.terminationStatus == 1)
        #expect(typo.stderr.contains("'left-forarm' is not a body site (did you mean left-forearm?); allowed:"), "\(typo.stderr)")
        let unknown = try await Self.cli(["sensors", "rename", "nobody", "x"], home: home)
        #expect(unknown.stderr.contains("no sensor 'nobody' is known"), "\(unknown.stderr)")

        let table = try await Self.cli(["sensors"], home: home)
        let row = table.stdout.split(separator: "\n").first { $0.contains("phone-1") }.map(String.init) ?? ""
        #expect(row.contains("My phone (phone-1)"), "\(table.stdout)")
        #expect(row.contains("phone (imu)"))
        #expect(row.contains("left-forearm (it sends right-thigh)"))
        #expect(row.contains("80%"))
        #expect(row.contains("60 Hz"))

        // Kept across a restart; the next frame (which still says right-thigh) is published at left-forearm.
        await sensor.stop()
        sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected", timeout: 30))
        let again: ProducerReply = try await offPoolThrowing {
            let producer = try SensorProducer(
                endpoint: ep.sensorProducers, sensor: .init(sensorId: "x", kind: .imu, placement: .rightThigh, sampleRate: 60),
                context: context)
            defer { producer.close() }
            return try producer.send(json: Self.frame("phone-1", at: start + 1), binary: nil)
        }
        #expect(again.ok)
        var header: SensorFrame?
        let deadline = Date().addingTimeInterval(10)
        while header == nil && Date() < deadline {
            for m in subscriber.next(timeout: 0.1) ?? [] where m.topic == "sensor.frame.phone-1" {
                let h = try m.decode(SensorFrame.self).body
                if h.firstSampleTime >= start + 1 { header = h }
            }
        }
        #expect(header?.placement == .leftForearm, "published at the person's site: \(String(describing: header))")
        shown = try await Self.list(home: home).first { $0["sensorId"] as? String == "phone-1" }
        #expect(shown?["name"] as? String == "My phone")
        #expect(shown?["placement"] as? String == "left-forearm")
        #expect(shown?["sentPlacement"] as? String == "right-thigh")

        await subscriber.closeAsync()
        await sensor.stop()
        await bus.stop()
    }
}
