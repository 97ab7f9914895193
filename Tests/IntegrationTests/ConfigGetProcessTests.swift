import Foundation
import SpasmTestSupport
import Testing

/// `spasmwatch config get KEY`, the way deploy/stack reads settings: the real loader's
/// effective value, exit 2 and the known keys for an unknown one, and no home created.
@Suite("spasmwatch config get", .serialized)
struct ConfigGetProcessTests {
    func get(_ arguments: [String], home: URL, environment: [String: String] = [:]) async throws -> (Int32, String, String) {
        let child = try ChildProcess("spasmwatch", ["config", "get"] + arguments, home: home, environment: environment)
        let status = await child.wait(timeout: 60)
        return (status ?? -1, child.stdout, child.stderr)
    }

    @Test func printsTheEffectiveValue() async throws {
        let home = try TestSupport.temporaryHome("config-get")
        defer { try? FileManager.default.removeItem(at: home) }
        try #"{"detect": {"instances": 3}, "manual": {"httpToken": "file-token"}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)

        var (status, out, err) = try await get(["detect.instances"], home: home)
        #expect(status == 0, "\(err)")
        #expect(out == "3\n")
        (status, out, err) = try await get(["manual.httpToken"], home: home)
        #expect(out == "file-token\n", "\(err)")
        (status, out, err) = try await get(["detect.instances"], home: home, environment: ["SPASMWATCH_DETECT_INSTANCES": "4"])
        #expect(out == "4\n", "\(err)")
        (status, out, err) = try await get(
            ["detect.instances", "--set", "detect.instances=5"], home: home,
            environment: ["SPASMWATCH_DETECT_INSTANCES": "4"])
        #expect(out == "5\n", "\(err)")
        // Only the value on stdout: nothing about the home or whether anything runs there.
        #expect(err.isEmpty, "\(err)")
    }

    @Test func anUnknownKeyExitsTwoAndListsTheKnownOnes() async throws {
        let home = try TestSupport.temporaryHome("config-get")
        defer { try? FileManager.default.removeItem(at: home) }
        let (status, out, err) = try await get(["detect.instnces"], home: home)
        #expect(status == 2)
        #expect(out.isEmpty)
        #expect(err.contains("unknown setting 'detect.instnces'"), "\(err)")
        #expect(err.contains("detect.instances") && err.contains("bus.highWaterMark"), "\(err)")
    }

    @Test func readingASettingCreatesNoHome() async throws {
        let place = try TestSupport.temporaryHome("config-get")
        defer { try? FileManager.default.removeItem(at: place) }
        let missing = place.appendingPathComponent("not-yet")
        let (status, out, err) = try await get(["bus.groupAccess", "--home", missing.path], home: place)
        #expect(status == 0, "\(err)")
        #expect(out == "false\n")
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }
}
