import Foundation

/// Reads a child process's pipe until its end, on a thread of its own, then closes it.
///
/// The one way to collect a child's output (the tests' `ChildProcess`, the benchmarks'
/// `Child`). Not a `readabilityHandler`: that keeps the descriptor open for as long as the
/// reading process runs, and cannot be taken down from inside the handler. A test process
/// that started 500 children that way held 1,020 pipes, and libmosquitto's select(2) loop
/// stopped working above descriptor 1,023.
public enum PipeReader {
    /// Calls `sink` with each chunk read. `sink` returns false to stop early (its owner is
    /// gone); the pipe is closed either way.
    public static func collect(_ handle: FileHandle, into sink: @escaping @Sendable (ArraySlice<UInt8>) -> Bool) {
        Thread {
            defer { try? handle.close() }
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = read(handle.fileDescriptor, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                guard n > 0, sink(chunk[0..<n]) else { return }
            }
        }.start()
    }
}
