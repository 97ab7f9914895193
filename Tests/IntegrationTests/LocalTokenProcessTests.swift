import Foundation
import SpasmTestSupport
import Testing

/// Another user of this machine (issue 12): with no token configured and the servers on
/// loopback (the default), `runuser -u nobody -- curl` read `GET /api/entries` from the
/// diary and posted frames to the sensor endpoint. Now both servers make a token on first
/// start (`keys/http.token`, 0600) and require it on every route.
@Suite("A local token on loopback", .serialized)
struct LocalTokenProcessTests {
    /// curl as `nobody` (another local user): the HTTP status.
    static func curlAsNobody(_ arguments: [String]) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments =
            ["-u", "nobody", "--", "/usr/bin/curl", "-s", "-o", "/dev/null", "--max-time", "20", "--write-out", "%{http_code}"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self)) ?? 0
    }

    @Test func anotherLocalUserCannotReadTheDiaryOrPostFrames() async throws {
        let home = try TestSupport.temporaryHome("local-token")
        defer { try? FileManager.default.removeItem(at: home) }
        let sensorPort = 18_000 + Int.random(in: 0..<2000)
        try #"{"sensor": {"httpPort": \#(sensorPort)}}"#.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let manual = try await ManualProcess.start(home: home)
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"))

        #expect(try Self.curlAsNobody(["\(manual.base)/api/entries"]) == 401, "another user read the diary")
        #expect(try Self.curlAsNobody(["\(manual.base)/"]) == 401)
        #expect(
            try Self.curlAsNobody([
                "-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"kind":"spasm","severity":3}"#,
                "\(manual.base)/api/entries",
            ]) == 401, "another user wrote to the diary")
        let frame = BrowserGuardProcessTests.frame("intruder")
        #expect(
            try Self.curlAsNobody([
                "-X", "POST", "-H", "Content-Type: application/json", "--data", frame,
                "http://127.0.0.1:\(sensorPort)/api/frames",
            ]) == 401, "another user posted a frame")
        #expect(try Self.curlAsNobody(["http://127.0.0.1:\(sensorPort)/api/sensors"]) == 401)

        // The owner has the token: one file, private, shared by both servers.
        let file = home.appendingPathComponent("keys/http.token")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let token = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count == 64)
        let bearer = ["Authorization": "Bearer \(token)"]
        #expect(try await http("GET", "\(manual.base)/api/entries", headers: bearer).status == 200)
        #expect(try await http("GET", "\(manual.base)/api/entries", headers: ["Authorization": "Bearer \(token.dropLast())"]).status == 401)
        let sensors = try BrowserGuardProcessTests.curl(["-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(sensorPort)/api/sensors"])
        #expect(sensors.status == 200, "\(sensors)")
        // The printed page address with ?token= sets the cookie and sends the page on.
        let visit = try BrowserGuardProcessTests.curl(["-D", "-", "-o", "/dev/null", "\(manual.base)/?token=\(token)"])
        #expect(visit.status == 303 && visit.body.lowercased().contains("set-cookie: spasmwatch_token="), "\(visit)")

        // A restart keeps the token (a bookmarked page keeps working).
        await manual.process.stop()
        let again = try await ManualProcess.start(home: home)
        #expect(try await http("GET", "\(again.base)/api/entries", headers: bearer).status == 200)
        #expect(try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == token)
        await again.process.stop()
        await sensor.stop()
        await bus.stop()
    }
}
