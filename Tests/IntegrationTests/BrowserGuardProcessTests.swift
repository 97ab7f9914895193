import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import SpasmTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a web page on another site, a rebound DNS name and a slow client can do to the
/// loopback HTTP APIs (issue 12, point 6). Seen on main: a `text/plain` POST from another
/// origin stopped a fall's escalation, forged entries and frames were accepted, `GET
/// /api/entries` answered `Host: evil.example`, `GET /api/sensors` needed no token beyond
/// loopback, and 500 half-sent requests stayed open.
@Suite("Browser and network guards", .serialized)
struct BrowserGuardProcessTests {
    /// curl (it may set `Host`, which URLSession may not): the status and the body.
    static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "20", "--write-out", "\n%{http_code}"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let status = Int(text.split(separator: "\n").last ?? "") ?? 0
        return (status, String(text.dropLast(String(status).count)))
    }

    static let evil = "Origin: https://evil.example"

    static func frame(_ sensorId: String) -> String {
        #"{"v":1,"sensorId":"\#(sensorId)","kind":"emg","placement":"left-calf","sampleRate":1000,"unit":"mV","#
            + #""firstSampleTime":\#(Date().timeIntervalSince1970),"producer":"web-test","test":true,"samples":[0.01,-0.02,0.015]}"#
    }

    @Test func aForeignPageCannotAcknowledgeAFallAndTheEscalationGoesOn() async throws {
        let home = try TestSupport.temporaryHome("web-ack")
        defer { try? FileManager.default.removeItem(at: home) }
        let me = try await TinyHTTPServer()
        let anna = try await TinyHTTPServer()
        defer {
            me.stop()
            anna.stop()
        }
        try NotifyProcessTests.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(me.url)"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(anna.url)"}]}],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna"], "escalateAfterSeconds": 4}, {"receivers": ["me"]}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let manual = try await ManualProcess.start(home: home)
        let client = try NotifyProcessTests.TestBus(home: home, prefixes: [Topic.acknowledgement, Topic.heartbeat(ServiceName.manual)])
        defer { client.close() }
        let fall = NotifyProcessTests.fall()
        #expect(
            await NotifyProcessTests.eventually {
                try? client.publish(fall)
                return !me.received.isEmpty
            })
        let ackURL = "\(manual.base)/api/alerts/\(fall.alertId.uuidString)/acknowledge"

        // The attack seen on main: a page on another site posts a "simple" text/plain request.
        let forged = try Self.curl(["-X", "POST", "-H", Self.evil, "-H", "Content-Type: text/plain", "--data", "{}", ackURL])
        #expect(forged.status == 403, "\(forged)")
        #expect(forged.body.contains("Origin 'https://evil.example' is not this server"), "\(forged.body)")
        // Also refused: JSON from another origin, a cross-site fetch, and text/plain with no Origin.
        let json = try Self.curl(["-X", "POST", "-H", Self.evil, "-H", "Content-Type: application/json", "--data", "{}", ackURL])
        #expect(json.status == 403, "\(json)")
        let crossSite = try Self.curl([
            "-X", "POST", "-H", "Sec-Fetch-Site: cross-site", "-H", "Content-Type: application/json",
            "--data", "{}", ackURL,
        ])
        #expect(crossSite.status == 403 && crossSite.body.contains("Sec-Fetch-Site: cross-site"), "\(crossSite)")
        let plain = try Self.curl(["-X", "POST", "-H", "Content-Type: text/plain", "--data", "{}", ackURL])
        #expect(plain.status == 403 && plain.body.contains("send 'Content-Type: application/json'"), "\(plain)")

        // Nothing was acknowledged: anna is still told.
        #expect(await NotifyProcessTests.eventually(30) { !anna.received.isEmpty }, "the escalation must go on")
        #expect(client.messages(Topic.acknowledgement).isEmpty)
        // Each refusal was counted (the manual service's heartbeat).
        #expect(
            await NotifyProcessTests.eventually {
                let beat = client.messages("heartbeat.").last.flatMap { try? $0.decode(Heartbeat.self).body }
                return (beat?.counters["http.refused.origin"] ?? 0) >= 3 && (beat?.counters["http.refused.content-type"] ?? 0) >= 1
            })

        // The phone page's own request (same origin, JSON) still acknowledges.
        let page = try await http("POST", ackURL, body: "{}", headers: ["Origin": manual.base, "Sec-Fetch-Site": "same-origin"])
        #expect(page.status == 200, "\(String(decoding: page.body, as: UTF8.self))")
        #expect(await NotifyProcessTests.eventually { !client.messages(Topic.acknowledgement).isEmpty })
        await manual.process.stop()
    }

    @Test func forgedEntriesAndFramesAndForeignHostsAreRefused() async throws {
        let home = try TestSupport.temporaryHome("web-forged")
        defer { try? FileManager.default.removeItem(at: home) }
        let sensorPort = 18_000 + Int.random(in: 2000..<4000)
        try #"{"sensor": {"httpPort": \#(sensorPort)}}"#.write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"))
        let manual = try await ManualProcess.start(home: home)
        let entries = "\(manual.base)/api/entries"
        let entry = #"{"kind":"spasm","spasm":{"site":"left-calf","type":"tonic","severity":2}}"#
        for headers in [
            [Self.evil, "Content-Type: application/json"], [Self.evil, "Content-Type: text/plain"],
            ["Origin: null", "Content-Type: application/json"], ["Content-Type: application/x-www-form-urlencoded"],
        ] {
            let refused = try Self.curl(["-X", "POST"] + headers.flatMap { ["-H", $0] } + ["--data", entry, entries])
            #expect(refused.status == 403, "\(headers): \(refused)")
            #expect(refused.body.contains(#""ok":false"#))
        }
        // DNS rebinding: the diary is not read under another name, on either server.
        let rebound = try Self.curl(["-H", "Host: evil.example", entries])
        #expect(rebound.status == 421, "\(rebound)")
        #expect(rebound.body.contains("Host 'evil.example' is not a name of this server"), "\(rebound.body)")
        #expect(!rebound.body.contains("entries"))
        let reboundSensors = try Self.curl(["-H", "Host: evil.example:\(sensorPort)", "http://127.0.0.1:\(sensorPort)/api/sensors"])
        #expect(reboundSensors.status == 421, "\(reboundSensors)")
        // This machine's own names work.
        let auth = "Authorization: Bearer \(TestSupport.httpToken(home: home))"
        let named = try Self.curl(["-H", "Host: localhost:\(manual.port)", "-H", auth, entries])
        #expect(named.status == 200, "\(named)")
        // Nothing forged was kept; the page's own way still saves.
        let list = try await http("GET", entries)
        #expect((try list.json()["entries"] as? [[String: Any]])?.isEmpty == true)
        let saved = try await http("POST", entries, body: entry, headers: ["Origin": manual.base])
        #expect(saved.status == 201)

        // Frames: a page on another site cannot post them.
        let frame = Self.frame("forged")
        let frames = "http://127.0.0.1:\(sensorPort)/api/frames"
        for headers in [
            [Self.evil, "Content-Type: application/json"], [Self.evil, "Content-Type: text/plain"],
            ["Sec-Fetch-Site: cross-site", "Content-Type: application/json"], ["Content-Type: text/plain"],
        ] {
            let refused = try Self.curl(["-X", "POST"] + headers.flatMap { ["-H", $0] } + ["--data", frame, frames])
            #expect(refused.status == 403, "\(headers): \(refused)")
        }
        let sensors = try Self.curl(["-H", auth, "http://127.0.0.1:\(sensorPort)/api/sensors"])
        #expect(sensors.status == 200)
        #expect(!sensors.body.contains("forged"), "a refused frame made no sensor: \(sensors.body)")
        let device = try Self.curl(["-X", "POST", "-H", "Content-Type: application/json", "-H", auth, "--data", frame, frames])
        #expect(device.status == 200, "a device's own JSON still works: \(device)")
        await manual.process.stop()
        await sensor.stop()
        await bus.stop()
    }

    @Test func theSensorListNeedsTheTokenBeyondLoopback() async throws {
        let home = try TestSupport.temporaryHome("web-sensor-token")
        defer { try? FileManager.default.removeItem(at: home) }
        let port = 18_000 + Int.random(in: 4000..<6000)
        try #"{"sensor": {"httpHost": "0.0.0.0", "httpPort": \#(port), "httpToken": "sensor-secret"}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        // Beyond loopback the endpoint serves HTTPS: curl trusts the home's CA.
        let ca = try await HTTPSTest.initialize(home: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let sensor = try ChildProcess("spasmwatch-sensor", home: home)
        #expect(await sensor.waitForOutput("bus connected"))
        let url = "https://localhost:\(port)/api/sensors"
        let trust = ["--cacert", ca.path]
        let open = try Self.curl(trust + [url])
        #expect(open.status == 401, "\(open)")
        #expect(open.body.contains("Authorization: Bearer TOKEN"))
        let wrong = try Self.curl(trust + ["-H", "Authorization: Bearer sensor-secreT", url])
        #expect(wrong.status == 401)
        let right = try Self.curl(trust + ["-H", "Authorization: Bearer sensor-secret", url])
        #expect(right.status == 200, "\(right)")
        // A device with the token may post without a JSON type (curl -d sends a form type).
        let frame = Self.frame("calf")
        let tokenFrame = try Self.curl(
            trust + [
                "-X", "POST", "-H", "Authorization: Bearer sensor-secret", "--data", frame,
                "https://localhost:\(port)/api/frames",
            ])
        #expect(tokenFrame.status == 200, "\(tokenFrame)")
        await sensor.stop()
        await bus.stop()
    }

    /// 200 connections that send half a request, against the diary: each is closed within
    /// the request deadline (10 s) plus a margin, and the page answers meanwhile.
    @Test func halfSentRequestsAreClosedAndTheServerStillAnswers() async throws {
        let home = try TestSupport.temporaryHome("web-slow")
        defer { try? FileManager.default.removeItem(at: home) }
        let manual = try await ManualProcess.start(home: home)
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<200 {
            let fd = try Self.connect(port: manual.port)
            let half = "GET /api/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            _ = half.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            sockets.append(fd)
        }
        let meanwhile = try await http("GET", "\(manual.base)/api/entries")
        #expect(meanwhile.status == 200, "the page answers while 200 slow clients hang")
        // All closed by the server (recv sees end of file), within a generous deadline.
        var open = Set(sockets)
        let deadline = Date().addingTimeInterval(40)
        while !open.isEmpty && Date() < deadline {
            for fd in open {
                var byte: UInt8 = 0
                let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { open.remove(fd) }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(open.isEmpty, "\(open.count) of 200 half-sent requests still open after 40 s")
        let after = try await http("GET", "\(manual.base)/api/entries")
        #expect(after.status == 200)
        // Closing them is routine (counted), not an error in the log: browsers open idle
        // connections ahead of need all the time.
        #expect(!manual.process.stderr.contains("Error handling upgrade result"), "\(manual.process.stderr.suffix(1500))")
        await manual.process.stop()
    }

    /// Beyond `manual.httpMaxConnections` open at once, a new connection is closed at once;
    /// once the others go, requests are answered again.
    @Test func connectionsBeyondTheCapAreClosed() async throws {
        let home = try TestSupport.temporaryHome("web-cap")
        defer { try? FileManager.default.removeItem(at: home) }
        let manual = try await ManualProcess.start(home: home, arguments: ["--set", "manual.httpMaxConnections=20"])
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<20 { sockets.append(try Self.connect(port: manual.port)) }
        // Let the server accept the twenty before the one too many.
        let probe = try Self.connect(port: manual.port)
        defer { close(probe) }
        var closed = false
        let deadline = Date().addingTimeInterval(8)  // well inside the 10 s request deadline
        while !closed && Date() < deadline {
            var byte: UInt8 = 0
            let n = recv(probe, &byte, 1, Int32(MSG_DONTWAIT))
            closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(closed, "the 21st connection is closed by the server")
        sockets.forEach { close($0) }
        sockets = []
        var answered = false
        let again = Date().addingTimeInterval(20)
        while !answered && Date() < again {
            answered = (try? await http("GET", "\(manual.base)/api/entries"))?.status == 200
            if !answered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(answered, "answered again once the twenty are gone")
        await manual.process.stop()
    }

    /// `manual.httpIdleSeconds` and `manual.httpRequestSeconds` take effect: with 1 s each, an
    /// idle keep-alive connection and a connection that never finishes its headers are both
    /// closed well before the defaults (30 s, 10 s) would close them.
    @Test func shorterDeadlinesFromTheSettingsCloseConnections() async throws {
        let home = try TestSupport.temporaryHome("web-deadlines")
        defer { try? FileManager.default.removeItem(at: home) }
        let manual = try await ManualProcess.start(
            home: home,
            arguments: [
                "--set", "manual.httpIdleSeconds=1",
                "--set", "manual.httpRequestSeconds=1",
            ])
        let idle = try Self.connect(port: manual.port)
        defer { close(idle) }
        let request = "GET /api/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(TestSupport.httpToken(home: home))\r\n\r\n"
        _ = request.withCString { send(idle, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        let slow = try Self.connect(port: manual.port)
        defer { close(slow) }
        _ = "GET /api/entries HTTP/1.1\r\nHost: 127".withCString { send(slow, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var answered = false
        var open: Set<Int32> = [idle, slow]
        let deadline = Date().addingTimeInterval(8)  // generous for 1 s, short of the 10 s and 30 s defaults
        while !open.isEmpty && Date() < deadline {
            for fd in open {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if n > 0, fd == idle, String(decoding: buffer[..<n], as: UTF8.self).contains("200 OK") { answered = true }
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { open.remove(fd) }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answered, "the keep-alive request was answered first")
        #expect(!open.contains(idle), "the idle keep-alive connection is closed after manual.httpIdleSeconds")
        #expect(!open.contains(slow), "the half-sent request is closed after manual.httpRequestSeconds")
        await manual.process.stop()

        // A value out of range stops the service at start, naming the setting and the range.
        let wrong = try ChildProcess("spasmwatch-manual", ["--set", "manual.httpIdleSeconds=0"], home: home)
        #expect(await wrong.wait(timeout: 30).map { $0 != 0 } == true)
        #expect(wrong.stderr.contains("manual.httpIdleSeconds is 0.0; allowed are 1–3600 seconds"), "\(wrong.stderr)")
        let sensor = try ChildProcess("spasmwatch-sensor", ["--set", "sensor.httpRequestSeconds=-5"], home: home)
        #expect(await sensor.wait(timeout: 30).map { $0 != 0 } == true)
        #expect(sensor.stderr.contains("sensor.httpRequestSeconds is -5.0; allowed are 1–3600 seconds"), "\(sensor.stderr)")
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
        return fd
    }
}
