import Foundation
import SpasmErrors

/// The one way SpasmWatch replaces a file: a temporary file beside the target, flushed to
/// disk, then renamed over it, so a reader sees the old file or the new one, never half of
/// one. Foundation's `.atomic` writes go through a fresh `/tmp/TemporaryDirectory.*` that
/// is left behind each time (issue 12 §3); this leaves nothing behind, and the file gets the
/// process's umask (owner-only in a data home) unless `mode` says otherwise.
public enum AtomicFile {
    /// Writes `data` to `url`; `mode` (e.g. 0o600) is applied whatever the umask.
    public static func write(_ data: Data, to url: URL, mode: mode_t? = nil) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o666)
        guard fd >= 0 else { throw SpasmError(.atomicFile, "cannot write \(temporary.path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            if let mode { fchmod(fd, mode) }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            unlink(temporary.path)
            throw SpasmError(.atomicFile, "cannot write \(temporary.path): \(error.localizedDescription)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw SpasmError(.atomicFile, "cannot replace \(url.path): \(reason)")
        }
        let dir = open(directory.path, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// Writes `text` as UTF-8.
    public static func write(_ text: String, to url: URL, mode: mode_t? = nil) throws {
        try write(Data(text.utf8), to: url, mode: mode)
    }
}

extension SpasmError.Code {
    /// A file could not be written or replaced (`AtomicFile`).
    public static let atomicFile = SpasmError.Code("atomic-file")
}
