import Foundation
import GRDB
import SpasmDatabase
import SpasmTestSupport
import Testing

/// The one way SQLite files are opened: private, WAL, migrated; read-only never creates.
@Suite("Opening a database")
struct OpenDatabaseTests {
    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0o7777
    }

    @Test func aNewFileIsPrivateInWALAndMigrated() throws {
        let dir = try TestSupport.temporaryHome("open-db")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("data/new.sqlite")
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 notes") { db in try db.execute(sql: "CREATE TABLE note (text TEXT NOT NULL)") }
        let database = try openDatabase(url: url, migrator: migrator)
        try database.write { db in try db.execute(sql: "INSERT INTO note VALUES ('kept')") }
        #expect(try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try database.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2, "FULL by default")
        // Others never get anything, whatever the umask; the WAL file has the database's mode.
        #expect(Self.mode(url.path) & 0o077 & ~0o040 == 0, "mode \(String(Self.mode(url.path), radix: 8))")
        #expect(Self.mode(url.path + "-wal") == Self.mode(url.path))
        // Opening again runs nothing twice and keeps the rows.
        let again = try openDatabase(url: url, migrator: migrator)
        #expect(try again.read { db in try String.fetchAll(db, sql: "SELECT text FROM note") } == ["kept"])
    }

    @Test func readingOnlyNeverCreatesTheFile() throws {
        let dir = try TestSupport.temporaryHome("open-db-ro")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("missing.sqlite")
        #expect(throws: (any Error).self) { try openDatabase(url: url, migrator: nil, options: .init(readOnly: true)) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
