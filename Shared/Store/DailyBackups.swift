import Foundation

/// One backup of the main database per local day (`backups/daily-YYYY-MM-DD.sqlite`),
/// the newest `keepDays` kept. Raw frames are not backed up (they only live a few days).
public struct DailyBackups: Sendable {
    public let database: AppDatabase
    public let keepDays: Int
    public let timeZone: TimeZone

    public init(database: AppDatabase, keepDays: Int, timeZone: TimeZone) {
        self.database = database
        self.keepDays = keepDays
        self.timeZone = timeZone
    }

    public var directory: URL { AppDatabase.backupDirectory(for: database.url) }

    public func file(for date: Date) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        return directory.appendingPathComponent("daily-\(formatter.string(from: date)).sqlite")
    }

    /// Takes today's backup if it is missing and removes the oldest beyond `keepDays`.
    /// Returns the new backup's file, if one was taken.
    @discardableResult
    public func runIfDue(now: Date = Date()) throws -> URL? {
        guard keepDays > 0 else { return nil }
        let today = file(for: now)
        var taken: URL?
        if !FileManager.default.fileExists(atPath: today.path) {
            let partial = today.appendingPathExtension("partial")
            try database.backup(to: partial)
            try FileManager.default.moveItem(at: partial, to: today)
            taken = today
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix("daily-") && $0.hasSuffix(".sqlite") }.sorted(by: >)
        for name in names.dropFirst(keepDays) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        return taken
    }
}
