import Foundation
import SpasmErrors
import SpasmSync

extension SpasmError.Code {
    /// Why a service or the CLI will not use a run directory.
    public static let runDirectory = SpasmError.Code("run-directory")
}

/// The private folder for the ipc sockets, where another local user must never get in:
/// whoever could replace `manual.sock` would receive diary entries (issue 12 §2).
///
/// - `bus.runDirectory` when set: `/run/spasmwatch` under systemd (`RuntimeDirectory=`).
/// - Else `<home>/run`, when the longest socket path fits Unix's 107-byte limit.
/// - Else a fresh folder made with `mkdtemp` (`/tmp/spasmwatch-XXXXXX`), never a
///   predictable name.
///
/// Whenever it is not `<home>/run`, the services record its path in `<home>/run.path`, where
/// the CLI finds it. Services refuse a folder they do not own, a symbolic link, or one that
/// others (or, without `bus.groupAccess`, the group) can write; the CLI accepts one owned by
/// itself or by the home's owner that others cannot write.
extension DataHome {
    /// Where the services record a run directory other than `<home>/run`.
    public var runPathFile: URL { root.appendingPathComponent("run.path") }

    var defaultRunDirectory: URL { root.appendingPathComponent("run") }

    /// True when the sockets in `<home>/run` fit the Unix socket path limit.
    var defaultRunDirectoryFits: Bool {
        defaultRunDirectory.appendingPathComponent("store-query.sock").path.utf8.count <= 100
    }

    /// The run directory as every process finds it (nothing is created): the setting, else
    /// the path the services recorded, else `<home>/run`.
    public func runDirectory(_ bus: BusSettings) -> URL {
        if !bus.runDirectory.isEmpty { return URL(fileURLWithPath: bus.runDirectory) }
        if let recorded = recordedRunDirectory { return recorded }
        return defaultRunDirectory
    }

    var recordedRunDirectory: URL? {
        guard let text = try? String(contentsOf: runPathFile, encoding: .utf8) else { return nil }
        let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : nil
    }

    /// For a service at start: makes the run directory or checks the one there, and records
    /// where it is. Throws, naming the folder and what is wrong, when it is not safe.
    /// `note` says when an unusable recorded folder was replaced.
    public func prepareRunDirectory(_ bus: BusSettings) throws -> (url: URL, note: String?) {
        let mode: mode_t = bus.groupAccess ? 0o770 : 0o700
        if !bus.runDirectory.isEmpty {
            let url = URL(fileURLWithPath: bus.runDirectory)
            try Self.makeOrCheck(url, mode: mode, groupAccess: bus.groupAccess)
            try record(url, groupAccess: bus.groupAccess)
            return (url, nil)
        }
        if defaultRunDirectoryFits {
            try Self.makeOrCheck(defaultRunDirectory, mode: mode, groupAccess: bus.groupAccess)
            if FileManager.default.fileExists(atPath: runPathFile.path) { try? FileManager.default.removeItem(at: runPathFile) }
            return (defaultRunDirectory, nil)
        }
        // The home's path is too long: one folder under /tmp, chosen once under a lock so
        // services starting together agree.
        let lockPath = root.appendingPathComponent(".run.lock").path
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw SpasmError(.runDirectory, "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer {
            flock(lock, LOCK_UN)
            close(lock)
        }
        flock(lock, LOCK_EX)
        var note: String?
        if let recorded = recordedRunDirectory {
            var info = stat()
            if lstat(recorded.path, &info) == 0 {
                if let problem = Self.serviceProblem(recorded.path, info, groupAccess: bus.groupAccess) {
                    note = "the run directory recorded in \(runPathFile.path) is not safe (\(problem)); using a new one"
                } else {
                    return (recorded, nil)
                }
            }
        }
        var template = Array("/tmp/spasmwatch-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SpasmError(.runDirectory, "cannot make a run directory under /tmp: \(String(cString: strerror(errno)))")
        }
        let url = URL(fileURLWithPath: String(cString: made))
        chmod(url.path, mode)
        try record(url, groupAccess: bus.groupAccess)
        return (url, note)
    }

    /// For the CLI: throws when the run directory exists but another user could have
    /// taken it over (a missing one only means nothing runs).
    public func checkRunDirectoryForClient(_ bus: BusSettings) throws {
        let url = runDirectory(bus)
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return }
        var homeInfo = stat()
        let homeOwner = stat(root.path, &homeInfo) == 0 ? homeInfo.st_uid : geteuid()
        let problem: String?
        if (info.st_mode & S_IFMT) == S_IFLNK {
            problem = "it is a symbolic link"
        } else if (info.st_mode & S_IFMT) != S_IFDIR {
            problem = "it is not a folder"
        } else if info.st_uid != geteuid() && info.st_uid != homeOwner {
            problem = "it belongs to \(Self.userName(info.st_uid)), neither you nor the home's owner \(Self.userName(homeOwner))"
        } else if info.st_mode & 0o002 != 0 {
            problem = "every local user can write to it (mode \(String(info.st_mode & 0o7777, radix: 8)))"
        } else {
            problem = nil
        }
        if let problem {
            throw SpasmError(
                .runDirectory,
                "refusing the run directory \(url.path): \(problem), so the sockets in it may not be SpasmWatch's. Stop the services, remove it, and start them again."
            )
        }
    }

    /// Writes `run.path` when it does not already say `url`.
    func record(_ url: URL, groupAccess: Bool) throws {
        if recordedRunDirectory?.path == url.path { return }
        do {
            try AtomicFile.write(url.path + "\n", to: runPathFile, mode: groupAccess ? 0o640 : 0o600)
        } catch {
            throw SpasmError(.runDirectory, "cannot record the run directory in \(runPathFile.path): \(error)")
        }
    }

    static func makeOrCheck(_ url: URL, mode: mode_t, groupAccess: Bool) throws {
        var info = stat()
        if lstat(url.path, &info) != 0 {
            guard errno == ENOENT else {
                throw SpasmError(.runDirectory, "cannot use the run directory \(url.path): \(String(cString: strerror(errno)))")
            }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if mkdir(url.path, mode) != 0 && errno != EEXIST {
                throw SpasmError(.runDirectory, "cannot make the run directory \(url.path): \(String(cString: strerror(errno)))")
            }
            guard lstat(url.path, &info) == 0 else {
                throw SpasmError(.runDirectory, "cannot use the run directory \(url.path): \(String(cString: strerror(errno)))")
            }
        }
        if let problem = serviceProblem(url.path, info, groupAccess: groupAccess) {
            throw SpasmError(
                .runDirectory,
                "refusing the run directory \(url.path): \(problem). Another local user could replace the sockets in it and receive diary entries. Remove it (as its owner or root) and start again, or choose another with bus.runDirectory."
            )
        }
        chmod(url.path, mode)
    }

    /// What makes a folder unsafe for a service's sockets, if anything.
    static func serviceProblem(_ path: String, _ info: stat, groupAccess: Bool) -> String? {
        if (info.st_mode & S_IFMT) == S_IFLNK { return "it is a symbolic link" }
        if (info.st_mode & S_IFMT) != S_IFDIR { return "it is not a folder" }
        if info.st_uid != geteuid() {
            return "it belongs to \(userName(info.st_uid)), not to \(userName(geteuid())) who runs this service"
        }
        let mode = String(info.st_mode & 0o7777, radix: 8)
        if info.st_mode & 0o002 != 0 { return "every local user can write to it (mode \(mode))" }
        if !groupAccess && info.st_mode & 0o020 != 0 { return "its group can write to it (mode \(mode)) and bus.groupAccess is off" }
        return nil
    }

    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }
}
