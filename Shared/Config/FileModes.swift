import Foundation

/// Who may read a data home: its owner only (umask 077: folders 0700, files 0600), or with
/// `bus.groupAccess` (the systemd install) also the home's group (umask 007: 0770 and 0660),
/// never other local users. Diary notes, fall texts and backups are health data.
public enum FileModes {
    /// Sets the process's umask; every service and the CLI call it at start (CommonOptions.load).
    public static func applyUmask(groupAccess: Bool) {
        umask(groupAccess ? 0o007 : 0o077)
    }

    /// The permission bits a home's files and folders may keep.
    static func allowed(groupAccess: Bool) -> mode_t { groupAccess ? 0o770 : 0o700 }
}

extension DataHome {
    /// Takes away what an older home (made under umask 022) gave to others: the home itself,
    /// the files in it, and `data/`, `logs/`, `keys/`, `pids/` and the run directory with
    /// everything inside. Only what this user owns; symbolic links are left alone. With
    /// `groupAccess`, the group keeps its access and `data/` and the run directory are 0770.
    /// Returns how many files and folders changed.
    public func tighten(groupAccess: Bool, runDirectory: URL) -> Int {
        let allowed = FileModes.allowed(groupAccess: groupAccess)
        let shared: Set<String> = groupAccess ? [dataDirectory.path, runDirectory.path] : []
        var changed = 0
        func fix(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == geteuid(), (info.st_mode & S_IFMT) != S_IFLNK else { return }
            let old = info.st_mode & 0o7777
            var new = old & allowed
            if shared.contains(path) { new = 0o770 }
            if new != old, chmod(path, new) == 0 { changed += 1 }
        }
        fix(root.path)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [] {
            fix(root.appendingPathComponent(name).path)
        }
        let trees = [dataDirectory, logDirectory, keyDirectory, root.appendingPathComponent("pids"), runDirectory]
        for tree in trees where tree.path.hasPrefix(root.path + "/") || tree == runDirectory {
            fix(tree.path)
            guard let walker = FileManager.default.enumerator(atPath: tree.path) else { continue }
            while let relative = walker.nextObject() as? String {
                fix(tree.appendingPathComponent(relative).path)
            }
        }
        return changed
    }
}
