import Foundation
import GRDB
import SpasmDatabase
import SpasmErrors
import SpasmSchema
import SpasmSync

/// What a person says about each device, in `data/sensor-profiles.sqlite`: the name they
/// gave it (`spasmwatch sensors rename`) and where it is worn now (`spasmwatch sensors
/// move`), which wins over the site the device itself sends. Kept across restarts and
/// across `forget` (a device that comes back keeps its name). Read from memory on every
/// frame; written only by those two requests.
final class DeviceProfiles: Sendable {
    struct Profile: Sendable, Equatable {
        var name: String?
        var placement: BodySite?
    }

    let queue: any DatabaseWriter
    private let profiles = Locked<[String: Profile]>([:])

    static func url(dataDirectory: URL) -> URL { dataDirectory.appendingPathComponent("sensor-profiles.sqlite") }
    static let maxNameLength = 40

    /// Profiles kept in `queue`, its table made when missing (tests pass `DatabaseQueue()`).
    init(_ queue: any DatabaseWriter) throws {
        self.queue = queue
        try Self.migrator.migrate(queue)
        let loaded = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT sensorId, name, placement FROM sensor_profile").reduce(into: [String: Profile]()) { all, row in
                all[row["sensorId"]] = Profile(name: row["name"], placement: (row["placement"] as String?).flatMap(BodySite.init(rawValue:)))
            }
        }
        profiles.withLock { $0 = loaded }
    }

    static func open(url: URL) throws -> DeviceProfiles {
        try DeviceProfiles(openDatabase(url: url, migrator: migrator))
    }

    /// The schema; append-only.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-phone device profiles") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sensor_profile (
                        sensorId TEXT PRIMARY KEY NOT NULL,
                        name TEXT,
                        placement TEXT,
                        updatedAt REAL NOT NULL
                    ) WITHOUT ROWID
                    """)
        }
        return migrator
    }

    func profile(_ sensorId: String) -> Profile? { profiles.withLock { $0[sensorId] } }

    /// Checks a name a person typed; the cleaned name (nil: cleared) or what is wrong.
    static func checkName(_ text: String) -> Result<String?, SpasmError> {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { return .success(nil) }
        if name.count > maxNameLength {
            return .failure(SpasmError(.deviceProfile, "the name is \(name.count) characters; at most \(maxNameLength) are allowed"))
        }
        if name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            return .failure(SpasmError(.deviceProfile, "the name may not contain control characters (tabs, line breaks)"))
        }
        return .success(name)
    }

    /// Saves a change (committed before it returns).
    func update(_ sensorId: String, now: Double = Date().timeIntervalSince1970, _ change: (inout Profile) -> Void) throws -> Profile {
        var profile = profile(sensorId) ?? Profile()
        change(&profile)
        let saved = profile
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sensor_profile (sensorId, name, placement, updatedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT(sensorId) DO UPDATE SET name = excluded.name, placement = excluded.placement, updatedAt = excluded.updatedAt
                    """, arguments: [sensorId, saved.name, saved.placement?.rawValue, now])
        }
        profiles.withLock { $0[sensorId] = saved }
        return saved
    }
}

extension SpasmError.Code {
    /// A sensor's name or placement that `sensors rename` / `move` refuses.
    static let deviceProfile = SpasmError.Code("sensor.profile")
}
