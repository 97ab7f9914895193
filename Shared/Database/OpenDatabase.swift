import Foundation
import GRDB
import SpasmErrors

/// How `openDatabase` sets up a file. The defaults suit the small files that must not lose
/// a commit (outboxes, journals).
public struct DatabaseOptions: Sendable {
    public enum Synchronous: String, Sendable {
        /// A commit is fsync'd: it survives a power cut.
        case full = "FULL"
        /// With WAL a commit survives the process being killed (kill -9); a power cut may
        /// lose the last ones. Checkpoints are fsync'd either way.
        case normal = "NORMAL"
    }

    public var synchronous: Synchronous
    /// Seconds a connection waits for another process's lock before it fails.
    public var busyTimeout: TimeInterval
    /// Readers beside the one writer (a `DatabasePool`), instead of one connection (a `DatabaseQueue`).
    public var concurrentReads: Bool
    /// An existing file, for reading only: never created, never migrated.
    public var readOnly: Bool
    /// More PRAGMA statements for the writing connection (e.g. "cache_size = -32000").
    public var pragmas: [String]

    public init(
        synchronous: Synchronous = .full, busyTimeout: TimeInterval = 5, concurrentReads: Bool = false,
        readOnly: Bool = false, pragmas: [String] = []
    ) {
        self.synchronous = synchronous
        self.busyTimeout = busyTimeout
        self.concurrentReads = concurrentReads
        self.readOnly = readOnly
        self.pragmas = pragmas
    }
}

/// The one way SpasmWatch opens an SQLite file (GRDB). It makes the folder, creates a new
/// file private (0640 under the process umask: 0600 in a data home's umask 077, group-readable
/// with `bus.groupAccess`'s 007, never readable by others; SQLite gives `-wal` and `-shm` the
/// same mode), turns on WAL with a busy timeout and `options`' PRAGMAs, and runs `migrator`
/// (append-only: a migration that has shipped is never edited). Several processes may open
/// the same file. Types that keep a database take the result (`any DatabaseWriter`) in their
/// initializer, so tests give them `DatabaseQueue()` in memory.
public func openDatabase(url: URL, migrator: DatabaseMigrator?, options: DatabaseOptions = .init()) throws -> any DatabaseWriter {
    var configuration = Configuration()
    configuration.readonly = options.readOnly
    configuration.busyMode = .timeout(options.busyTimeout)
    let synchronous = options.synchronous
    let pragmas = options.pragmas
    let pool = options.concurrentReads
    configuration.prepareDatabase { db in
        guard !db.configuration.readonly else { return }
        // A pool turns on WAL itself; a queue's connection does it here (it lasts in the file).
        if !pool { try db.execute(sql: "PRAGMA journal_mode = WAL") }
        for pragma in pragmas { try db.execute(sql: "PRAGMA " + pragma) }
        try db.execute(sql: "PRAGMA synchronous = " + synchronous.rawValue)
    }
    if !options.readOnly {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try createPrivately(url)
    }
    let writer: any DatabaseWriter =
        pool
        ? try DatabasePool(path: url.path, configuration: configuration)
        : try DatabaseQueue(path: url.path, configuration: configuration)
    if !options.readOnly, let migrator { try migrator.migrate(writer) }
    return writer
}

/// Copies a database through SQLite's online backup (safe while another process writes)
/// into `file`, replaced if it exists, created like `openDatabase`'s files. With `verify`
/// the copy must pass `PRAGMA integrity_check`.
public func backupDatabase(_ source: any DatabaseReader, to file: URL, verify: Bool = false) throws {
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    if FileManager.default.fileExists(atPath: file.path) { try FileManager.default.removeItem(at: file) }
    try createPrivately(file)
    let destination = try DatabaseQueue(path: file.path)
    try source.backup(to: destination)
    let check = verify ? try destination.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } : "ok"
    try destination.close()
    guard check == "ok" else {
        throw SpasmError(.databaseCopy, "the copy \(file.path) failed its integrity check: \(check ?? "?")", detail: check ?? "?")
    }
}

extension SpasmError.Code {
    /// A backup copy failed `PRAGMA integrity_check`; `detail` is what the check said.
    public static let databaseCopy = SpasmError.Code("database.copy")
}

/// Creates an empty file with mode 0640 (less what the umask takes) when there is none.
private func createPrivately(_ url: URL) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
    if fd >= 0 {
        close(fd)
        return
    }
    guard errno == EEXIST else {
        throw CocoaError(
            .fileWriteUnknown,
            userInfo: [
                NSFilePathErrorKey: url.path,
                NSLocalizedDescriptionKey: String(cString: strerror(errno)),
            ])
    }
}
