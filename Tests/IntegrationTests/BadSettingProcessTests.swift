import Foundation
import SpasmTestSupport
import Testing

/// A bad setting stops every service the same way: one critical line naming the setting
/// and what is allowed, and exit status 2 (settings are checked once, when they load).
@Suite("Bad settings", .serialized)
struct BadSettingProcessTests {
    static let services = [
        "spasmwatch-bus", "spasmwatch-sensor", "spasmwatch-manual", "spasmwatch-detect",
        "spasmwatch-store", "spasmwatch-notify",
    ]

    @Test(arguments: [
        (["--set", "timeZone=Mars/Olympus"], "timeZone 'Mars/Olympus' is not an IANA time zone name"),
        (["--set", "bus.transport=udp"], "bus.transport 'udp' is not a transport; allowed are ipc, tcp"),
        (["--log-level", "loud"], "--log-level 'loud' is not a log level; allowed are trace"),
        (["--set", "sensor.httpHost=0.0.0.0"], "sensor.httpHost 0.0.0.0 is beyond localhost: set sensor.httpToken too"),
    ])
    func everyServiceExitsTwoWithOneSentence(arguments: [String], sentence: String) async throws {
        let home = try TestSupport.temporaryHome("badsetting")
        defer { try? FileManager.default.removeItem(at: home) }
        for service in Self.services {
            let process = try ChildProcess(service, arguments, home: home)
            let status = await process.wait(timeout: 30)
            #expect(status == 2, "\(service) \(arguments): exit \(String(describing: status)); \(process.stderr)")
            let critical = process.stderr.split(separator: "\n").filter { $0.contains("critical") }
            #expect(critical.count == 1 && critical[0].contains(sentence), "\(service): \(process.stderr)")
        }
    }

    /// The CLI stops on a bad setting like the services: exit status 2 and the same sentence,
    /// as one line (`spasmwatch: …`), not ArgumentParser's usage error.
    @Test(arguments: [
        (["--set", "timeZone=Mars/Olympus"], "timeZone 'Mars/Olympus' is not an IANA time zone name"),
        (["--set", "bus.transport=udp"], "bus.transport 'udp' is not a transport; allowed are ipc, tcp"),
        (["--set", "sensor.httpHost=0.0.0.0"], "sensor.httpHost 0.0.0.0 is beyond localhost: set sensor.httpToken too"),
    ])
    func theCLIExitsTwoWithTheSameSentence(arguments: [String], sentence: String) async throws {
        let home = try TestSupport.temporaryHome("badsetting-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        for command in [["status"], ["recent"]] {
            let process = try ChildProcess("spasmwatch", command + arguments, home: home)
            let status = await process.wait(timeout: 30)
            #expect(status == 2, "spasmwatch \(command) \(arguments): exit \(String(describing: status)); \(process.stderr)")
            let lines = process.stderr.split(separator: "\n")
            #expect(
                lines.count == 1 && lines[0].hasPrefix("spasmwatch: ") && lines[0].contains(sentence),
                "spasmwatch \(command): \(process.stderr)")
        }
    }
}
