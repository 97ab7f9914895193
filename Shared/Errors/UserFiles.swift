import Foundation

/// Files and folders a person names on a command line (`replay FILE`, `scan FILE`, `check
/// FRAME`, `report --out FILE`, `backup FILE`): read, or checked before writing, so that a
/// missing or unreadable one is a sentence naming the path and what to do, the same in every
/// command, never Foundation's "The file “x” couldn’t be opened". One code per kind of problem.
public enum UserFiles {
    /// The whole file at `path`. `expecting` says what belongs there, for the sentence:
    /// "a recording (…)" gives "no file at PATH: give the path of a recording (…)".
    public static func contents(of path: String, expecting: String) throws(SpasmError) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw openProblem(path, errno: errno, expecting: expecting) }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw SpasmError(.fileUnreadable, "\(path) is a folder: give the path of \(expecting)", detail: path, errorNumber: EISDIR)
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count == 0 {
                return data
            } else if errno != EINTR {
                let number = errno
                throw SpasmError(.fileUnreadable, "cannot read \(path): \(reason(number))", detail: path, errorNumber: number)
            }
        }
    }

    /// Before writing `path`: its folder exists, is a folder, and this user may write in it.
    /// The folder is not made (a mistyped path would leave folders behind): the sentence says
    /// how to make it.
    public static func checkFolder(toWrite path: String) throws(SpasmError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw SpasmError(
                .folderMissing, "no folder \(folder) to write \(path) in: make it (mkdir -p \(folder)) or give a path in a folder that exists",
                detail: folder, errorNumber: ENOENT)
        }
        guard isFolder.boolValue else {
            throw SpasmError(
                .folderMissing, "\(folder) is a file, not a folder: give a path in a folder to write \(path)", detail: folder, errorNumber: ENOTDIR)
        }
        guard access(folder, W_OK) == 0 else {
            let number = errno
            throw SpasmError(
                .fileUnwritable, "cannot write in \(folder) (\(reason(number))): give a path in a folder you may write to",
                detail: folder, errorNumber: number)
        }
    }

    /// The sentence for a file that would not open.
    static func openProblem(_ path: String, errno number: Int32, expecting: String) -> SpasmError {
        switch number {
        case ENOENT, ENOTDIR:
            return SpasmError(.fileMissing, "no file at \(path): give the path of \(expecting)", detail: path, errorNumber: number)
        case EACCES, EPERM:
            return SpasmError(
                .fileUnreadable,
                "cannot read \(path): permission denied for this user (\(userName)); let it read the file (its owner can run chmod a+r \(path)) or copy the file somewhere it may read",
                detail: path, errorNumber: number)
        default:
            return SpasmError(.fileUnreadable, "cannot read \(path): \(reason(number))", detail: path, errorNumber: number)
        }
    }

    /// "permission denied": strerror, lowercased as in a sentence.
    static func reason(_ number: Int32) -> String {
        let text = String(cString: strerror(number))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    static var userName: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "uid \(geteuid())" }
        return String(cString: name)
    }
}

extension UserFiles {
    /// Every code `UserFiles` throws.
    public static let codes: Set<SpasmError.Code> = [.fileMissing, .fileUnreadable, .folderMissing, .fileUnwritable]
}

extension SpasmError.Code {
    /// No file at the path a person gave (`UserFiles.contents`).
    public static let fileMissing = SpasmError.Code("file.missing")
    /// The file is there but cannot be read: permission, a folder, a read error.
    public static let fileUnreadable = SpasmError.Code("file.unreadable")
    /// The folder a file is to be written in does not exist, or is a file.
    public static let folderMissing = SpasmError.Code("file.folder-missing")
    /// This user may not write in the folder, or the write failed.
    public static let fileUnwritable = SpasmError.Code("file.unwritable")
}
