import Foundation
import SpasmSync

/// Helpers for tests that start real processes: a temporary data home each, the built
/// executables, and a child process with its output captured.
public enum TestSupport {
    /// The folder holding the built executables (beside the test bundle).
    public static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["SPASMWATCH_BIN"] { return URL(fileURLWithPath: dir) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent()
    }

    public static func executable(_ name: String) -> URL { binDirectory.appendingPathComponent(name) }

    /// The repository root (two levels above this file's folder).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared` beside the repository, when present (CI and developers have it), or
    /// `$SPASMWATCH_SHARED` (for a worktree elsewhere).
    public static var sharedDirectory: URL? {
        let dir =
            ProcessInfo.processInfo.environment["SPASMWATCH_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("eval/dev/manifest.json").path) ? dir : nil
    }

    /// A fresh, private data home; removed by `remove()`.
    /// The token the home's HTTP servers made on first start (`keys/http.token`), waiting
    /// up to 30 s for it; "" when none appeared.
    public static func httpToken(home: URL) -> String {
        let file = home.appendingPathComponent("keys/http.token")
        let deadline = Date().addingTimeInterval(30)
        repeat {
            if let text = try? String(contentsOf: file, encoding: .utf8) { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
            usleep(50_000)
        } while Date() < deadline
        return ""
    }

    /// `["Authorization": "Bearer TOKEN"]` with the home's token.
    public static func bearer(home: URL) -> [String: String] { ["Authorization": "Bearer \(httpToken(home: home))"] }

    public static func temporaryHome(_ label: String = "test") throws -> URL {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("sw-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A child process whose stdout and stderr are collected.
public final class ChildProcess: @unchecked Sendable {
    // Safe: `output`/`errorOutput` are only touched while `lock` is held; `process` is
    // used from the test's own task.
    public let process = Process()
    private let lock = NSLock()
    private var output = Data()
    private var errorOutput = Data()
    public let name: String

    public init(
        _ executable: String, _ arguments: [String] = [], home: URL, environment: [String: String] = [:],
        stdin: Data? = nil
    ) throws {
        name = executable
        // A bare name is one of our executables; an absolute path is a system tool.
        process.executableURL = executable.hasPrefix("/") ? URL(fileURLWithPath: executable) : TestSupport.executable(executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SPASMWATCH_HOME"] = home.path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = home
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        Self.collect(out.fileHandleForReading, errors: false, of: self)
        Self.collect(err.fileHandleForReading, errors: true, of: self)
    }

    /// Reads the pipe until its end (the child exited), then closes it (`PipeReader`).
    private static func collect(_ handle: FileHandle, errors: Bool, of child: ChildProcess) {
        PipeReader.collect(handle) { [weak child] bytes in
            // The ChildProcess is gone: its deinit has killed the child.
            guard let child else { return false }
            child.lock.lock()
            if errors { child.errorOutput.append(contentsOf: bytes) } else { child.output.append(contentsOf: bytes) }
            child.lock.unlock()
            return true
        }
    }

    public var stdout: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: output, as: UTF8.self)
    }
    public var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: errorOutput, as: UTF8.self)
    }
    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for exit up to `timeout` seconds; returns the exit status, or nil if still running.
    @discardableResult
    public func wait(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { return nil }
        try? await Task.sleep(for: .milliseconds(50))  // let the pipes drain
        return process.terminationStatus
    }

    /// Waits until stdout or stderr contains `text` (up to `timeout` seconds).
    @discardableResult
    public func waitForOutput(_ text: String, timeout: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.contains(text) || stderr.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    /// SIGTERM, then SIGKILL if it has not exited after `grace` seconds.
    public func stop(grace: Double = 10) async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await wait(timeout: grace) == nil {
            signal(SIGKILL)
            await wait(timeout: 5)
        }
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
