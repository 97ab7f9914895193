import Foundation
import SpasmBus
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// Runs a program for each notification, with the notification as JSON on standard input
/// and `SPASMWATCH_TITLE`, `SPASMWATCH_TEXT`, `SPASMWATCH_SEVERITY` in its environment.
/// Exit status 0 is success; a program still running after the timeout is killed.
public struct CommandChannel: NotificationChannel {
    public let name = "command"
    public let command: [String]
    public let workingDirectory: URL
    public let timeoutSeconds: Double
    public let retry: RetryPolicy

    public init(command: [String], workingDirectory: URL, timeoutSeconds: Double, retry: RetryPolicy) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
        self.retry = retry
    }

    public func send(_ notification: AlertNotification) async throws {
        let input = try WireCodec.encode(notification)
        let (command, directory, timeout) = (self.command, workingDirectory, timeoutSeconds)
        // Process start and the wait block: keep them off the cooperative pool.
        let result: Result<Void, SpasmError> = await onBlockingPool {
            Self.run(command: command, directory: directory, timeout: timeout, input: input, notification: notification)
        }
        try result.get()
    }

    static func run(
        command: [String], directory: URL, timeout: Double, input: Data,
        notification: AlertNotification
    ) -> Result<Void, SpasmError> {
        let process = Process()
        let program = command[0]
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program, relativeTo: directory)
            process.arguments = Array(command.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command
        }
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["SPASMWATCH_TITLE"] = notification.title
        environment["SPASMWATCH_TEXT"] = notification.text
        environment["SPASMWATCH_SEVERITY"] = notification.severity.rawValue
        environment["SPASMWATCH_RECEIVER"] = notification.receiver
        process.environment = environment
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(SpasmError(.channel, "cannot run \(program): \(error.localizedDescription)"))
        }
        // A program that does not read its input must not make us hang: write, then close.
        signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            let grace = Date().addingTimeInterval(2)
            while process.isRunning && Date() < grace { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return .failure(SpasmError(.channel, "\(program) did not finish within \(NotificationText.duration(timeout)); stopped it"))
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(SpasmError(.channel, "\(program) exited with status \(process.terminationStatus)"))
        }
        return .success(())
    }
}
