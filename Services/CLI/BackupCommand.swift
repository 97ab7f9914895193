import ArgumentParser
import Foundation
import GRDB
import SpasmBus
import SpasmRuntime
import SpasmStore

/// `spasmwatch backup FILE`: a consistent copy of the database through SQLite's online
/// backup, safe while spasmwatch-store is writing. Restoring: docs/storage.md.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database (diary, episodes, alerts, summaries; not raw frames) to FILE, safely while the store runs.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "The backup file to write (replaced if it exists).")
    var file: String

    func run() async throws {
        let (home, _) = try options.load()
        let source = home.database
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw ValidationError("no database at \(source.path): has spasmwatch-store run in this home?")
        }
        let target = URL(fileURLWithPath: file)
        let result: Result<Int64, Error> = await onBlockingPool {
            Result {
                var configuration = GRDB.Configuration()
                configuration.busyMode = .timeout(10)
                let reader = try DatabaseQueue(path: source.path, configuration: configuration)
                let partial = target.appendingPathExtension("partial")
                try? FileManager.default.removeItem(at: partial)
                let destination = try DatabaseQueue(path: partial.path)
                try reader.backup(to: destination)
                let check = try destination.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
                try destination.close()
                try reader.close()
                guard check == "ok" else { throw ValidationError("the copy failed its integrity check: \(check ?? "?")") }
                if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
                try FileManager.default.moveItem(at: partial, to: target)
                return AppDatabase.fileBytes(target)
            }
        }
        let bytes = try result.get()
        print("backed up \(source.path) to \(target.path) (\(AppDatabase.formatBytes(bytes)), integrity ok)")
        print("restore: stop spasmwatch-store, copy the file to \(source.path) (remove its -wal and -shm files), start the store")
    }
}
