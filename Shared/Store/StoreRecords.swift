import Foundation
import GRDB
import SpasmSchema

// Typed rows of the store's tables, for reading (the write path uses cached prepared
// statements, see StoreIngestor). Ids are UUID strings, times Unix seconds.

/// A row of `episode` (or of the `episode_confirmed` view, which adds `confirmed`).
struct EpisodeRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "episode"
    var episodeId: String
    var person: String
    var kind: String
    var sensorId: String
    var site: String?
    var start: Double
    var end: Double?
    var detectedAt: Double
    var confidence: Double
    var peak: Double?
    var dominantFrequencyHz: Double?
    /// From `episode_confirmed` only.
    var confirmed: Bool?
    /// Detection stopped while it was open (migration v2).
    var interrupted: Bool

    var stored: StoredEpisode {
        StoredEpisode(person: person, episodeId: UUID(uuidString: episodeId) ?? UUID(), kind: EpisodeKind(rawValue: kind) ?? .phasic,
                      sensorId: sensorId, site: site.flatMap(BodySite.init(rawValue:)), start: start, end: end,
                      detectedAt: detectedAt, confidence: confidence, peak: peak, dominantFrequencyHz: dominantFrequencyHz,
                      confirmed: confirmed, interrupted: interrupted ? true : nil)
    }
}

/// A row of `sensor`: the latest `sensor.registered` of each sensor.
struct SensorRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "sensor"
    var sensorId: String
    var person: String
    var kind: String
    var placement: String
    var sampleRate: Double
    var channels: Int
    var via: String
    var producer: String?
    var firstSeen: Double
    var lastSeen: Double

    var registration: SensorRegistration {
        SensorRegistration(sensorId: sensorId, kind: SensorSignal(rawValue: kind) ?? .imu,
                           placement: BodySite(rawValue: placement) ?? .back, sampleRate: sampleRate, channels: channels,
                           via: via, producer: producer)
    }
}

/// A row of `sensor_minute`.
struct SensorMinuteRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "sensor_minute"
    var sensorId: String
    var minute: Double
    var kind: String
    var samples: Int
    var rms: Double
    var peak: Double
    var dominantFrequencyHz: Double?

    var summary: SensorMinuteSummary {
        SensorMinuteSummary(sensorId: sensorId, minute: minute, kind: SensorSignal(rawValue: kind) ?? .imu, samples: samples,
                            rms: rms, peak: peak, dominantFrequencyHz: dominantFrequencyHz)
    }
}

/// A row of `service_health`: the latest heartbeat of one service instance.
struct ServiceHealthRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "service_health"
    var instance: String
    var service: String
    var lastSeen: Double
    /// The heartbeat body, JSON.
    var json: Data
}
