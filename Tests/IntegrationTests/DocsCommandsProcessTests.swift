import Foundation
import SpasmTestSupport
import Testing

/// Every command in README.md and docs/*.md, run as written by deploy/dev/docs-commands.py on
/// temporary homes with the stack running (the debug executables, nothing built). The ones
/// marked as needing systemd, root, a radio or another machine, placeholders and the long
/// ones are listed as skipped in the test's output (issue 18, point 9).
@Suite("Docs commands", .serialized)
struct DocsCommandsProcessTests {
    static let script = TestSupport.repositoryRoot.appendingPathComponent("deploy/dev/docs-commands.py").path

    /// Processes whose folder is one of the runner's temporary copies ("sw-docs-…").
    static func leftOver() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                cwd.contains("/sw-docs-")
            else { return nil }
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return "\(pid) \(String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self))"
        }
    }

    @Test(.enabled(if: PythonProducer.available, "python3 with pyzmq is not installed (deploy/stack test installs it)"))
    func everyDocumentedCommandWorksAsWritten() async throws {
        let home = try TestSupport.temporaryHome("docs-commands")
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = ["SPASMWATCH_BIN": TestSupport.binDirectory.path]
        if let shared = TestSupport.sharedDirectory { environment["SPASMWATCH_SHARED"] = shared.path }
        let started = Date()
        let run = try ChildProcess("/usr/bin/env", ["python3", Self.script], home: home, environment: environment)
        let status = await run.wait(timeout: 900)
        if status == nil {
            run.signal(SIGTERM)  // the runner stops what it started, then exits
            await run.wait(timeout: 60)
        }
        let output = run.stdout + run.stderr
        let skipped = output.components(separatedBy: "\n").filter { $0.hasPrefix("skipped ") }
        print(
            "docs commands in \(Int(Date().timeIntervalSince(started))) s; \(skipped.count) skipped:\n"
                + skipped.joined(separator: "\n"))
        #expect(status == 0, "deploy/dev/docs-commands.py:\n\(output)")
        #expect(output.contains(" 0 failed"), "\(output.components(separatedBy: "\n").filter { $0.hasPrefix("FAILED") }.joined(separator: "\n"))")
        // What cannot run here is listed, not silently dropped.
        #expect(skipped.contains { $0.contains("(needs root)") }, "sudo deploy/stack install is listed as skipped:\n\(output)")
        #expect(Self.leftOver().isEmpty, "still running: \(Self.leftOver())")
    }
}
