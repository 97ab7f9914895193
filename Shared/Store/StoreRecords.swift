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
    /// Only known kinds are ever written (the ingestor validates every episode), so a row
    /// with another kind fails to decode instead of being read as some other kind.
    var kind: EpisodeKind
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
    /// Detected on a test sensor (migration v6).
    var test: Bool

    /// The view the queries read: episodes with the person's latest answer.
    static let confirmedView = Table<EpisodeRecord>("episode_confirmed")

    enum Columns {
        static let episodeId = Column(CodingKeys.episodeId)
        static let person = Column(CodingKeys.person)
        static let kind = Column(CodingKeys.kind)
        static let sensorId = Column(CodingKeys.sensorId)
        static let site = Column(CodingKeys.site)
        static let start = Column(CodingKeys.start)
        static let confirmed = Column(CodingKeys.confirmed)
    }

    var stored: StoredEpisode {
        StoredEpisode(
            person: person, episodeId: UUID(uuidString: episodeId) ?? UUID(), kind: kind,
            sensorId: sensorId, site: site.flatMap(BodySite.init(rawValue:)), start: start, end: end,
            detectedAt: detectedAt, confidence: confidence, peak: peak, dominantFrequencyHz: dominantFrequencyHz,
            confirmed: confirmed, interrupted: interrupted ? true : nil, test: test ? true : nil)
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

    enum Columns {
        static let sensorId = Column(CodingKeys.sensorId)
    }

    var registration: SensorRegistration {
        SensorRegistration(
            sensorId: sensorId, kind: SensorKind(rawValue: kind) ?? .imu,
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

    enum Columns {
        static let sensorId = Column(CodingKeys.sensorId)
        static let minute = Column(CodingKeys.minute)
    }

    var summary: SensorMinuteSummary {
        SensorMinuteSummary(
            sensorId: sensorId, minute: minute, kind: SensorKind(rawValue: kind) ?? .imu, samples: samples,
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

    enum Columns {
        static let instance = Column(CodingKeys.instance)
        static let service = Column(CodingKeys.service)
    }
}

/// A row of `diary_entry`, or of the `diary_entry_effective` view (corrections applied:
/// the same columns). The entry itself is its JSON.
struct DiaryEntryRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "diary_entry"
    static let effectiveView = Table<DiaryEntryRecord>("diary_entry_effective")
    var entryId: String
    var person: String
    var kind: String
    var at: Double
    var recordedAt: Double
    var site: String?
    var spasmType: String?
    var severity: Int?
    var pain: Int?
    var nrs: Int?
    var psfs: Int?
    var targetEntryId: String?
    var json: Data

    enum Columns {
        static let entryId = Column(CodingKeys.entryId)
        static let person = Column(CodingKeys.person)
        static let kind = Column(CodingKeys.kind)
        static let at = Column(CodingKeys.at)
        static let recordedAt = Column(CodingKeys.recordedAt)
        static let site = Column(CodingKeys.site)
        static let spasmType = Column(CodingKeys.spasmType)
        static let severity = Column(CodingKeys.severity)
        static let pain = Column(CodingKeys.pain)
        static let nrs = Column(CodingKeys.nrs)
        static let psfs = Column(CodingKeys.psfs)
        static let targetEntryId = Column(CodingKeys.targetEntryId)
        static let json = Column(CodingKeys.json)
    }
}

/// A row of `alert`; the alert itself is its JSON.
struct AlertRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "alert"
    var alertId: String
    var person: String
    var kind: String
    var severity: String
    var at: Double
    var site: String?
    var json: Data

    enum Columns {
        static let alertId = Column(CodingKeys.alertId)
        static let person = Column(CodingKeys.person)
        static let kind = Column(CodingKeys.kind)
        static let at = Column(CodingKeys.at)
        static let site = Column(CodingKeys.site)
        static let json = Column(CodingKeys.json)
    }
}

/// A row of `delivery`; the delivery itself is its JSON.
struct DeliveryRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "delivery"
    var deliveryId: String
    var person: String
    var channel: String
    var outcome: String
    var at: Double
    var json: Data

    enum Columns {
        static let deliveryId = Column(CodingKeys.deliveryId)
        static let person = Column(CodingKeys.person)
        static let outcome = Column(CodingKeys.outcome)
        static let at = Column(CodingKeys.at)
        static let json = Column(CodingKeys.json)
    }
}

/// A row of `delivery_alert`: which alerts one delivery was about.
struct DeliveryAlertRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "delivery_alert"
    var deliveryId: String
    var alertId: String
    var outcome: String

    enum Columns {
        static let deliveryId = Column(CodingKeys.deliveryId)
        static let alertId = Column(CodingKeys.alertId)
        static let outcome = Column(CodingKeys.outcome)
    }
}

/// A row of `acknowledgement` or, with the same columns, `help_request`; the message is its JSON.
struct AlertAnswerRecord: Codable, FetchableRecord, TableRecord {
    static let databaseTableName = "acknowledgement"
    static let helpRequests = Table<AlertAnswerRecord>("help_request")
    var messageId: Data
    var person: String
    var alertId: String
    var at: Double
    var json: Data

    enum Columns {
        static let alertId = Column(CodingKeys.alertId)
        static let at = Column(CodingKeys.at)
        static let json = Column(CodingKeys.json)
    }
}
