import Foundation

/// A question to storage's query endpoint (ZeroMQ REQ/REP, JSON; docs/wire-format.md,
/// "Store queries"). One request, one `StoreResponse`. Unset filters match everything.
public struct StoreRequest: Codable, Sendable, Equatable {
    /// What to answer.
    public enum Query: String, Codable, Sendable, CaseIterable {
        /// Diary entries, corrections applied (retracted and replaced entries left out).
        case entries
        /// Detected episodes, onset and end merged by `episodeId`.
        case episodes
        /// Alerts, with their acknowledgements and whether a delivery succeeded.
        case alerts
        /// Delivery attempts.
        case deliveries
        /// Per local day: counts by kind, site and hour, NRS and PSFS (`DailyStatistics`).
        case statistics
        /// Per-minute, per-sensor summaries (RMS, peak, dominant frequency).
        case sensorSummaries
        /// Sensors seen on `sensor.registered`.
        case sensors
        /// The latest heartbeat of each service instance.
        case health
        /// Database size, budget, row counts.
        case info
        /// Raw frames stored per sensor since the home began (`storedFrames`; counts outlive
        /// the raw frames' retention).
        case storedFrames
    }

    public var query: Query
    /// The schema version, optional; when given it must be 1.
    public var v: Int?
    /// Time range, Unix seconds: `from` ≤ time < `to`. Unset: everything.
    public var from: Double?
    public var to: Double?
    public var person: String?
    /// Entry kinds (`spasm`, `checkin`…), episode kinds (`phasic`…), alert kinds (`fall`…) or
    /// delivery outcomes, depending on `query`.
    public var kinds: [String]?
    /// Body site: entries, episodes and alerts at this site (or within this limb).
    public var site: BodySite?
    /// Alerts only: just those with no delivery whose outcome is `sent`.
    public var undeliveredOnly: Bool?
    /// Sensor summaries: one sensor.
    public var sensorId: String?
    /// Entries, alerts: an id or unique id prefix.
    public var idPrefix: String?
    /// Entries only: include retracted and replaced entries and the corrections themselves.
    public var includeCorrected: Bool?
    /// Statistics: the IANA time zone for day boundaries; unset = the store's configured zone.
    public var timeZone: String?
    /// At most this many rows (newest first when cut), default 10 000.
    public var limit: Int?

    public init(
        query: Query, from: Double? = nil, to: Double? = nil, person: String? = nil, kinds: [String]? = nil,
        site: BodySite? = nil, undeliveredOnly: Bool? = nil, sensorId: String? = nil, idPrefix: String? = nil,
        includeCorrected: Bool? = nil, timeZone: String? = nil, limit: Int? = nil
    ) {
        self.query = query
        self.from = from
        self.to = to
        self.person = person
        self.kinds = kinds
        self.site = site
        self.undeliveredOnly = undeliveredOnly
        self.sensorId = sensorId
        self.idPrefix = idPrefix
        self.includeCorrected = includeCorrected
        self.timeZone = timeZone
        self.limit = limit
    }
}

/// Storage's answer. `ok` false means the request was refused; `error` says why in words.
/// Only the field the query names is set.
public struct StoreResponse: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    public var entries: [StoredEntry]?
    public var episodes: [StoredEpisode]?
    public var alerts: [StoredAlert]?
    public var deliveries: [Delivery]?
    public var statistics: StoreStatistics?
    public var sensorSummaries: [SensorMinuteSummary]?
    public var sensors: [SensorRegistration]?
    public var health: [Heartbeat]?
    public var info: StoreInfo?
    /// Frames stored per sensor, ever (query `storedFrames`).
    public var storedFrames: [String: Int64]?
    /// True when `limit` cut the answer.
    public var truncated: Bool?

    public init(ok: Bool = true, error: String? = nil) {
        self.ok = ok
        self.error = error
    }

    public static func failure(_ message: String) -> StoreResponse { StoreResponse(ok: false, error: message) }
}

/// A diary entry as stored: the entry plus whose it is and what became of it.
public struct StoredEntry: Codable, Sendable, Equatable {
    public var person: String
    public var entry: DiaryEntry
    /// When it happened (the record's `at`; `recordedAt` for corrections).
    public var at: Double
    /// Set when a later correction retracted or replaced it (only with `includeCorrected`).
    public var correctedBy: UUID?

    public init(person: String, entry: DiaryEntry, at: Double, correctedBy: UUID? = nil) {
        self.person = person
        self.entry = entry
        self.at = at
        self.correctedBy = correctedBy
    }
}

/// An episode, onset and end merged.
public struct StoredEpisode: Codable, Sendable, Equatable {
    public var person: String
    public var episodeId: UUID
    public var kind: EpisodeKind
    public var sensorId: String
    public var site: BodySite?
    public var start: Double
    public var end: Double?
    public var detectedAt: Double
    public var confidence: Double
    public var peak: Double?
    public var dominantFrequencyHz: Double?
    /// The person's answer to "was this a spasm?", when given.
    public var confirmed: Bool?
    /// True when detection stopped during the episode: `end` is when it last saw the sensor.
    public var interrupted: Bool?
    /// True when detected on a test sensor (a replay, a simulation, an example).
    public var test: Bool?

    public init(
        person: String, episodeId: UUID, kind: EpisodeKind, sensorId: String, site: BodySite?, start: Double,
        end: Double?, detectedAt: Double, confidence: Double, peak: Double?, dominantFrequencyHz: Double?,
        confirmed: Bool?, interrupted: Bool? = nil, test: Bool? = nil
    ) {
        self.person = person
        self.episodeId = episodeId
        self.kind = kind
        self.sensorId = sensorId
        self.site = site
        self.start = start
        self.end = end
        self.detectedAt = detectedAt
        self.confidence = confidence
        self.peak = peak
        self.dominantFrequencyHz = dominantFrequencyHz
        self.confirmed = confirmed
        self.interrupted = interrupted
        self.test = test
    }
}

/// An alert with what happened to it.
public struct StoredAlert: Codable, Sendable, Equatable {
    public var person: String
    public var alert: Alert
    public var acknowledgements: [Acknowledgement]
    /// "I need help" presses about it (absent when there are none).
    public var helpRequests: [HelpRequest]?
    /// Delivery attempts for it, and whether any was `sent`.
    public var deliveryAttempts: Int
    public var delivered: Bool

    public init(
        person: String, alert: Alert, acknowledgements: [Acknowledgement], helpRequests: [HelpRequest]? = nil,
        deliveryAttempts: Int, delivered: Bool
    ) {
        self.person = person
        self.alert = alert
        self.acknowledgements = acknowledgements
        self.helpRequests = helpRequests
        self.deliveryAttempts = deliveryAttempts
        self.delivered = delivered
    }
}

/// Statistics over a range of local days (the home's time zone, daylight saving included).
public struct StoreStatistics: Codable, Sendable, Equatable {
    public var timeZone: String
    /// One per local day in the range, oldest first, days without data included.
    public var days: [DailyStatistics]
    /// Spasms (diary + detected, falls excluded) by local hour 0–23.
    public var hourOfDay: [Int]
    /// Spasms (diary + detected) by body site.
    public var sites: [String: Int]

    public init(timeZone: String, days: [DailyStatistics], hourOfDay: [Int], sites: [String: Int]) {
        self.timeZone = timeZone
        self.days = days
        self.hourOfDay = hourOfDay
        self.sites = sites
    }
}

/// One local day.
public struct DailyStatistics: Codable, Sendable, Equatable {
    /// "2026-11-25", local.
    public var day: String
    /// Unix time of local midnight starting the day.
    public var start: Double
    /// Diary spasms by type (tonic, phasic, clonus, cramp, unsure).
    public var diary: [String: Int]
    /// Detected episodes by kind (phasic, clonus, tonic, fall); episodes the person marked
    /// "not a spasm" are left out.
    public var detected: [String: Int]
    /// Spasm count for the day: diary spasms, and detected spasms (falls excluded).
    public var diarySpasms: Int
    public var detectedSpasms: Int
    /// Mean diary severity (1–3) and pain (0–10), when any.
    public var severityMean: Double?
    public var painMean: Double?
    /// Mean NRS and highest PSFS of the day's check-ins.
    public var nrs: Double?
    public var psfs: Int?

    public init(
        day: String, start: Double, diary: [String: Int] = [:], detected: [String: Int] = [:],
        diarySpasms: Int = 0, detectedSpasms: Int = 0, severityMean: Double? = nil, painMean: Double? = nil,
        nrs: Double? = nil, psfs: Int? = nil
    ) {
        self.day = day
        self.start = start
        self.diary = diary
        self.detected = detected
        self.diarySpasms = diarySpasms
        self.detectedSpasms = detectedSpasms
        self.severityMean = severityMean
        self.painMean = painMean
        self.nrs = nrs
        self.psfs = psfs
    }
}

/// One minute of one sensor, kept for good (raw frames are purged after a few days).
public struct SensorMinuteSummary: Codable, Sendable, Equatable {
    public var sensorId: String
    /// Unix time of the minute's start.
    public var minute: Double
    public var kind: SensorKind
    public var samples: Int
    /// RMS of the dynamic signal (gravity and offset removed): g or mV.
    public var rms: Double
    /// Largest dynamic magnitude: g or mV.
    public var peak: Double
    /// Strongest frequency (Hz) of the dynamic signal (EMG: of its envelope), when measurable.
    public var dominantFrequencyHz: Double?

    public init(
        sensorId: String, minute: Double, kind: SensorKind, samples: Int, rms: Double, peak: Double,
        dominantFrequencyHz: Double?
    ) {
        self.sensorId = sensorId
        self.minute = minute
        self.kind = kind
        self.samples = samples
        self.rms = rms
        self.peak = peak
        self.dominantFrequencyHz = dominantFrequencyHz
    }
}

/// The store's size and contents at a glance.
public struct StoreInfo: Codable, Sendable, Equatable {
    public var databaseBytes: Int64
    public var rawBytes: Int64
    public var diskBudgetBytes: Int64
    public var rawRetentionDays: Double
    public var rows: [String: Int]

    public init(databaseBytes: Int64, rawBytes: Int64, diskBudgetBytes: Int64, rawRetentionDays: Double, rows: [String: Int]) {
        self.databaseBytes = databaseBytes
        self.rawBytes = rawBytes
        self.diskBudgetBytes = diskBudgetBytes
        self.rawRetentionDays = rawRetentionDays
        self.rows = rows
    }
}
