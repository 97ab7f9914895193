import Foundation
import SpasmTestSupport
import Testing

/// The tests' own process starter. Seen in CI: every ChildProcess left its two pipes open
/// after the child had exited (the readability handlers kept them), so after about 500
/// started processes the test process held over 1,000 descriptors and libmosquitto's
/// select()-based loop failed on every call.
@Suite("Child processes of the tests", .serialized)
struct ChildProcessTests {
    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    @Test("a child that has exited leaves no descriptor open in the test process")
    func exitedChildrenCloseTheirPipes() async throws {
        let home = try TestSupport.temporaryHome("child")
        defer { try? FileManager.default.removeItem(at: home) }
        // One first, so lazily opened descriptors (dispatch, /dev/null) are counted before.
        let first = try ChildProcess("/bin/echo", ["warm"], home: home)
        #expect(await first.waitForOutput("warm"))
        await first.wait(timeout: 10)
        let before = Self.openDescriptors()
        var children: [ChildProcess] = []
        for i in 0..<40 {
            let child = try ChildProcess("/bin/echo", ["child \(i)"], home: home)
            #expect(await child.wait(timeout: 10) == 0)
            #expect(await child.waitForOutput("child \(i)"), "what the child printed is still collected")
            children.append(child)
        }
        let after = await Self.eventually { Self.openDescriptors() <= before + 8 }
        #expect(after, "descriptors: \(before) before 40 children, \(Self.openDescriptors()) after (each leaked child would add 2)")
        #expect(children.count == 40)
    }

    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<100 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}
