import ArgumentParser
import Foundation
import GRDB
import SpasmBus
import SpasmDatabase
import SpasmErrors
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
        try UserFiles.checkFolder(toWrite: file)
        let source = home.database
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw ValidationError("no database at \(source.path): has spasmwatch-store run in this home?")
        }
        let target = URL(fileURLWithPath: file)
        let result: Result<Int64, Error> = await onBlockingPool {
            Result {
                let reader = try openDatabase(url: source, migrator: nil, options: .init(busyTimeout: 10, readOnly: true))
                let partial = target.appendingPathExtension("partial")
                defer { try? reader.close() }
                do { try backupDatabase(reader, to: partial, verify: true) } catch let error as SpasmError where error.code == .databaseCopy {
                    throw ValidationError("the copy failed its integrity check: \(error.detail ?? "?")")
                }
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
