import Foundation
import SpasmErrors
import SpasmSchema
import SpasmSync

/// Appends each notification as one JSON line to a file (a JSON-lines log another program
/// can follow).
public final class FileChannel: NotificationChannel {
    public let name = "file"
    public let retry = RetryPolicy(maxAttempts: 3, backoffSeconds: 0.5)
    public let url: URL
    /// Appends from concurrent deliveries must not interleave.
    private let lock = Locked(())

    public init(url: URL) { self.url = url }

    public func send(_ notification: AlertNotification) async throws {
        var line = try WireCodec.encode(notification)
        line.append(UInt8(ascii: "\n"))
        try lock.withLock { _ in
            let fm = FileManager.default
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !fm.fileExists(atPath: url.path) { _ = fm.createFile(atPath: url.path, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: url.path) else {
                throw SpasmError(.channel, "cannot open \(url.path) for writing")
            }
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        }
    }
}
