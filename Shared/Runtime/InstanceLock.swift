import Foundation
import SpasmErrors
import Synchronization

/// One running instance per data home: an exclusive `flock` on a file in the run directory,
/// holding the holder's pid, kept until `release()` (or the process ends: the kernel drops a
/// dead process's lock, so a crash never leaves a stale one). The bus takes `bus.lock`, the
/// store `store.lock`.
public final class InstanceLock: Sendable {
    private let descriptor: Atomic<Int32>
    public let url: URL

    /// Takes the lock or throws `instanceLockHeld`, naming the pid of the process that holds it.
    /// `what` names the service for the message ("spasmwatch-store").
    public init(url: URL, what: String, home: String) throws {
        self.url = url
        let descriptor = open(url.path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw SpasmError(.instanceLockHeld, "cannot open \(url.path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let other = (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw SpasmError(
                .instanceLockHeld,
                "another \(what) (pid \(other.flatMap { $0.isEmpty ? nil : $0 } ?? "?")) is already running on \(home) (\(url.path) is locked); refusing to take over"
            )
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        self.descriptor = Atomic(descriptor)
    }

    /// Gives the lock up (once; later calls do nothing).
    public func release() {
        let descriptor = self.descriptor.exchange(-1, ordering: .relaxed)
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

extension SpasmError.Code {
    /// Another process holds an `InstanceLock` (or its file cannot be opened).
    public static let instanceLockHeld = SpasmError.Code("instance-lock.held")
}
