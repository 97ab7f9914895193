import Foundation
import SpasmSync
import Synchronization

/// A temporary folder removed at the end, or when the run is interrupted.
struct TemporaryDirectory {
    let url: URL
    init(prefix: String) throws {
        url = URL(fileURLWithPath: "/tmp").appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        BenchCleanup.add(folder: url)
    }
    func remove() {
        try? FileManager.default.removeItem(at: url)
        BenchCleanup.remove(folder: url)
    }
}

/// A child process of a benchmark, its stdout collected. Every child is started through
/// `spasmwatch-bench-ref guard`, which arms SIGTERM-on-parent-death before it execs the
/// program: if the bench dies in any way (Ctrl-C, `kill`, `kill -9`), its children go too.
final class Child: @unchecked Sendable {
    // Safe: `output` is only touched under `lock`; `process` is set up before `run()` and
    // afterwards only read through Process's own thread-safe accessors.
    let process = Process()
    let name: String
    private let lock = NSLock()
    private var output = Data()

    /// `withErrors`: stderr goes into the collected output too (for a reason to print when it fails).
    static func start(_ path: String, _ arguments: [String], home: URL?, withErrors: Bool = false) throws -> Child {
        let child = Child(name: URL(fileURLWithPath: path).lastPathComponent)
        child.process.executableURL = BenchBinaries.directory.appendingPathComponent("spasmwatch-bench-ref")
        child.process.arguments = ["guard", path] + arguments
        var env = ProcessInfo.processInfo.environment
        if let home { env["SPASMWATCH_HOME"] = home.path }
        child.process.environment = env
        let pipe = Pipe()
        child.process.standardOutput = pipe
        child.process.standardError = withErrors ? pipe : FileHandle.nullDevice
        try LaunchThread.run(child)
        PipeReader.collect(pipe.fileHandleForReading) { [weak child] bytes in
            guard let child else { return false }
            child.lock.withLock { child.output.append(contentsOf: bytes) }
            return true
        }
        BenchCleanup.add(child: child)
        return child
    }

    private init(name: String) { self.name = name }

    var text: String { lock.withLock { String(decoding: output, as: UTF8.self) } }

    /// Waits until the child printed `line` on a line of its own (true) or exited or the
    /// deadline passed (false).
    func waitForLine(_ line: String, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if text.split(separator: "\n").contains(Substring(line)) { return true }
            if !process.isRunning { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits until `path` exists (a socket the child binds) while the child runs; false when it
    /// exited or the deadline passed first.
    func waitForFile(_ path: String, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits for the child to exit by itself; true when it did before the deadline.
    @discardableResult
    func waitForExit(timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        try? await Task.sleep(for: .milliseconds(50))  // the last output
        return !process.isRunning
    }

    /// SIGINT first (the C references and peers print what they counted), then SIGTERM.
    func interrupt() async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        if await waitForExit(timeout: 3) { return }
        terminate()
    }

    func terminate() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        BenchCleanup.remove(child: self)
    }
}

/// The one thread every child is started from. The guard's PR_SET_PDEATHSIG fires when the
/// *thread* that started the child exits, not the process, and the cooperative pool's threads
/// come and go: a child started from one of them was killed when the pool let its thread go
/// (a whole stack started for `memory` lost every service seconds after start-up).
enum LaunchThread {
    private static let requests = Mutex<[@Sendable () -> Void]>([])
    private static let pending = DispatchSemaphore(value: 0)
    private static let started: Bool = {
        let thread = Thread {
            while true {
                pending.wait()
                let work = requests.withLock { $0.removeFirst() }
                work()
            }
        }
        thread.start()
        return true
    }()

    /// Starts the child's process from the launch thread; waits only for the spawn.
    static func run(_ child: Child) throws {
        _ = started
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<Void, any Error>?>(nil)
        requests.withLock {
            $0.append {
                let outcome = Result { try child.process.run() }
                result.withLock { $0 = outcome }
                done.signal()
            }
        }
        pending.signal()
        done.wait()
        try result.withLock { $0 }?.get()
    }
}

/// What an interrupted run leaves behind, removed by the SIGINT/SIGTERM handler.
enum BenchCleanup {
    private struct State {
        var children: [ObjectIdentifier: Child] = [:]
        var folders: Set<URL> = []
    }
    private static let state = Mutex(State())

    static func add(child: Child) { state.withLock { $0.children[ObjectIdentifier(child)] = child } }
    static func remove(child: Child) { _ = state.withLock { $0.children.removeValue(forKey: ObjectIdentifier(child)) } }
    static func add(folder: URL) { _ = state.withLock { $0.folders.insert(folder) } }
    static func remove(folder: URL) { _ = state.withLock { $0.folders.remove(folder) } }

    /// On SIGINT or SIGTERM: stop every child, remove every temporary folder, exit 130. The
    /// caller keeps the returned sources alive for the run.
    static func installSignalHandlers() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let (children, folders) = state.withLock { ($0.children.values, $0.folders) }
                for child in children where child.process.isRunning { child.process.terminate() }
                for child in children { child.process.waitUntilExit() }
                for folder in folders { try? FileManager.default.removeItem(at: folder) }
                FileHandle.standardError.write(Data("spasmwatch-bench: interrupted; its processes were stopped\n".utf8))
                exit(130)
            }
            source.resume()
            return source
        }
    }
}
