import Foundation
import GRDB
import Testing

@testable import spasmwatch_sensor

/// Ingestion's two small databases, in memory: what they answer, not their files
/// (LossAccountingProcessTests reads the real `sensor-counts.sqlite` after a kill).
@Suite("Sensor ingestion: accepted counts and device profiles")
struct SensorDatabasesTests {
    @Test func acceptedCountsAddUpAcrossSaves() throws {
        let database = try DatabaseQueue()
        let counts = try AcceptedCounts(database)
        counts.add("ankle-r")
        counts.add("ankle-r")
        #expect(try counts.all() == ["ankle-r": 2], "not saved yet, still counted")
        try counts.save(now: 10)
        counts.add("ankle-r")
        counts.add("wrist-l")
        try counts.save(now: 20)
        // A new handle on the same database sees only what was saved.
        #expect(try AcceptedCounts(database).all() == ["ankle-r": 3, "wrist-l": 1])
    }

    @Test func profilesAreSavedAndLoadedAgain() throws {
        let database = try DatabaseQueue()
        let profiles = try DeviceProfiles(database)
        #expect(profiles.profile("ankle-r") == nil)
        _ = try profiles.update("ankle-r") {
            $0.name = "left boot"
            $0.placement = .leftAnkle
        }
        let reloaded = try DeviceProfiles(database)
        #expect(reloaded.profile("ankle-r") == DeviceProfiles.Profile(name: "left boot", placement: .leftAnkle))
    }
}
