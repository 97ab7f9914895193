import Foundation
import GRDB
import Logging
import SpasmBus
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema

/// Writes what arrives on the bus into the store, a batch per transaction (group commit).
/// Idempotent: a reliable message whose envelope id is already stored changes nothing (but
/// is receipted again, since its sender evidently missed the first receipt); a frame already
/// stored for the same sensor and first-sample time is ignored.
/// Not thread-safe: owned by the store's one writer thread.
public final class StoreIngestor {
    public let database: AppDatabase
    let counters: CounterSet
    let logger: Logger
    var summarizer = MinuteSummarizer()
    /// Message types that get a stored receipt.
    public static let reliableTypes: Set<String> = [
        DiaryEntry.messageType, EpisodeEvent.messageType, Alert.messageType,
        Acknowledgement.messageType, HelpRequest.messageType, Delivery.messageType,
    ]

    public init(database: AppDatabase, counters: CounterSet = CounterSet(), logger: Logger = Logger(label: "store")) {
        self.database = database
        self.counters = counters
        self.logger = logger
    }

    /// What decoding one message gave.
    enum Decoded: Sendable {
        case frame(SensorFrame, Data)
        case item(Item)
        case ignored
        case rejected(String)
    }

    /// Decodes a batch, results in the messages' order. (Decoding in parallel on two cores
    /// gained nothing measurable here, so it is one pass.)
    static func decodeAll(_ messages: [BusMessage]) -> [Decoded] {
        let bodies = BodyDecoder()
        return messages.map { decode($0, bodies) }
    }

    static func decode(_ message: BusMessage, _ bodies: BodyDecoder) -> Decoded {
        do {
            switch message.header.type {
            case SensorFrame.messageType:
                let frame = try bodies.frame(message.envelope)
                guard let payload = message.payload, payload.count == frame.payloadByteCount, frame.channels > 0 else {
                    throw SpasmError.schemaMissingPayload(
                        "frame payload has \(message.payload?.count ?? 0) bytes, expected \(frame.payloadByteCount)")
                }
                return .frame(frame, payload)
            // Every body kept passes its sender's own rules, whoever published it on the bus.
            case DiaryEntry.messageType:
                let entry = try bodies.decode(DiaryEntry.self, message.envelope)
                try DiaryValidator.validate(entry)
                return .item(.entry(message.header, entry))
            case EpisodeEvent.messageType:
                let episode = try bodies.decode(EpisodeEvent.self, message.envelope)
                try EventValidator.validate(episode)
                return .item(.episode(message.header, episode))
            case Alert.messageType:
                let alert = try bodies.decode(Alert.self, message.envelope)
                try EventValidator.validate(alert)
                return .item(.alert(message.header, alert))
            case Acknowledgement.messageType:
                return .item(.acknowledgement(message.header, try bodies.decode(Acknowledgement.self, message.envelope)))
            case HelpRequest.messageType:
                return .item(.help(message.header, try bodies.decode(HelpRequest.self, message.envelope)))
            case Delivery.messageType:
                return .item(.delivery(message.header, try bodies.decode(Delivery.self, message.envelope)))
            case Heartbeat.messageType:
                let beat = try bodies.decode(Heartbeat.self, message.envelope)
                return .item(.heartbeat(message.header, beat, try WireCodec.encode(beat)))
            case SensorRegistration.messageType:
                return .item(.sensor(message.header, try bodies.decode(SensorRegistration.self, message.envelope)))
            default:
                return .ignored
            }
        } catch {
            return .rejected("\(error)")
        }
    }

    /// A decoded message, ready to write.
    enum Item: Sendable {
        case entry(EnvelopeHeader, DiaryEntry)
        case episode(EnvelopeHeader, EpisodeEvent)
        case alert(EnvelopeHeader, Alert)
        case acknowledgement(EnvelopeHeader, Acknowledgement)
        case help(EnvelopeHeader, HelpRequest)
        case delivery(EnvelopeHeader, Delivery)
        case heartbeat(EnvelopeHeader, Heartbeat, Data)
        case sensor(EnvelopeHeader, SensorRegistration)
    }

    /// What storage answers a batch with: the reliable messages now on disk (`stored`
    /// receipts) and the reliable messages it will never keep (`refused` receipts).
    public struct Answers {
        public var stored: [(source: String, id: UUID)] = []
        public var refused: [(source: String, refusal: RefusedReceipt.Refusal)] = []
    }

    /// Stores a batch: raw frames in one transaction, everything else in another. Returns
    /// the (sender, message id) pairs of reliable messages now on disk, for receipts.
    @discardableResult
    public func store(_ messages: [BusMessage], now: Double = Date().timeIntervalSince1970) throws -> [(source: String, id: UUID)] {
        try ingest(messages, now: now).stored
    }

    /// Stores a batch (as `store`) and returns both answers. A reliable message refused
    /// before is answered again but counted once (`store.refused_again`).
    public func ingest(_ messages: [BusMessage], now: Double = Date().timeIntervalSince1970) throws -> Answers {
        var items: [Item] = []
        var frames: [(SensorFrame, Data)] = []
        var refusals: [(header: EnvelopeHeader, reason: String)] = []
        items.reserveCapacity(messages.count)
        for (message, result) in zip(messages, Self.decodeAll(messages)) {
            switch result {
            case .frame(let frame, let payload): frames.append((frame, payload))
            case .item(let item): items.append(item)
            case .ignored: counters.add("store.ignored")
            case .rejected(let error) where Self.reliableTypes.contains(message.header.type):
                refusals.append((message.header, error))
            case .rejected(let error):
                counters.add("store.rejected")
                counters.add("rejected.\(message.header.type)")
                logger.warning(
                    "message not stored",
                    metadata: [
                        "type": "\(message.header.type)", "id": "\(message.header.id)",
                        "source": "\(message.header.source)", "error": "\(error)",
                    ])
            }
        }
        if !frames.isEmpty { try storeFrames(frames, now: now) }
        summarizer.closeIdle(now: now)
        let summaries = summarizer.takeFinished()
        if items.isEmpty && summaries.isEmpty && refusals.isEmpty { return Answers() }
        var receipts: [(source: String, id: UUID)] = []
        var firstRefusals: [(header: EnvelopeHeader, reason: String)] = []
        var stored = 0
        var duplicates = 0
        try database.main.write { db in
            receipts.removeAll()
            firstRefusals.removeAll()
            stored = 0
            duplicates = 0
            for refusal in refusals {
                let mark = try db.cachedStatement(
                    sql: "INSERT OR IGNORE INTO refused_message (messageId, source, type, reason, refusedAt) VALUES (?, ?, ?, ?, ?)")
                try mark.execute(arguments: [refusal.header.id, refusal.header.source, refusal.header.type, refusal.reason, now])
                if db.changesCount > 0 { firstRefusals.append(refusal) }
            }
            for item in items {
                let (header, reliable) = Self.header(of: item)
                if reliable {
                    let mark = try db.cachedStatement(
                        sql: "INSERT OR IGNORE INTO received_message (messageId, source, type, storedAt) VALUES (?, ?, ?, ?)")
                    try mark.execute(arguments: [header.id, header.source, header.type, now])
                    receipts.append((header.source, header.id))
                    if db.changesCount == 0 {
                        duplicates += 1
                        continue
                    }
                }
                try write(item, db)
                stored += 1
            }
            for summary in summaries { try Self.write(summary, db) }
        }
        counters.add("store.stored", Int64(stored))
        counters.add("store.duplicates", Int64(duplicates))
        counters.add("store.summaries", Int64(summaries.count))
        for refusal in firstRefusals {
            counters.add("store.rejected")
            counters.add("rejected.\(refusal.header.type)")
            logger.warning(
                "message refused (a refused receipt tells its sender)",
                metadata: [
                    "type": "\(refusal.header.type)", "id": "\(refusal.header.id)",
                    "source": "\(refusal.header.source)", "error": "\(refusal.reason)",
                ])
        }
        counters.add("store.refused_again", Int64(refusals.count - firstRefusals.count))
        return Answers(
            stored: receipts,
            refused: refusals.map { ($0.header.source, RefusedReceipt.Refusal(id: $0.header.id, type: $0.header.type, reason: $0.reason)) })
    }

    /// Closes every open sensor minute and writes it (at shutdown).
    public func flushSummaries() throws {
        summarizer.closeAll()
        let summaries = summarizer.takeFinished()
        guard !summaries.isEmpty else { return }
        try database.main.write { db in for summary in summaries { try Self.write(summary, db) } }
        counters.add("store.summaries", Int64(summaries.count))
    }

    func storeFrames(_ frames: [(SensorFrame, Data)], now: Double) throws {
        var inserted = 0
        try database.raw.write { db in
            inserted = 0
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO sensor_frame (sensorId, firstSampleTime, sampleRate, channels, sampleCount, samples)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """)
            var perSensor: [String: Int64] = [:]
            for (frame, payload) in frames {
                try statement.execute(arguments: [
                    frame.sensorId, frame.firstSampleTime, frame.sampleRate, frame.channels,
                    frame.sampleCount, payload,
                ])
                inserted += db.changesCount
                perSensor[frame.sensorId, default: 0] += Int64(db.changesCount)
            }
            // The per-sensor count moves in the same transaction as the frames it counts.
            let count = try db.cachedStatement(
                sql: """
                    INSERT INTO sensor_frame_count (sensorId, frames, lastStoredAt) VALUES (?, ?, ?)
                    ON CONFLICT(sensorId) DO UPDATE SET frames = frames + excluded.frames, lastStoredAt = excluded.lastStoredAt
                    """)
            for (sensorId, n) in perSensor where n > 0 { try count.execute(arguments: [sensorId, n, now]) }
        }
        for (frame, payload) in frames {
            // Little-endian Float32 on the wire: read in place when the host agrees and the bytes are aligned.
            let inPlace = payload.withUnsafeBytes { raw -> Bool in
                guard Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0,
                    1.littleEndian == 1
                else { return false }
                summarizer.add(frame: frame, samples: raw.bindMemory(to: Float.self), now: now)
                return true
            }
            if !inPlace {
                SamplePacking.unpack(payload).withUnsafeBufferPointer { summarizer.add(frame: frame, samples: $0, now: now) }
            }
        }
        counters.add("store.frames", Int64(inserted))
        if inserted < frames.count { counters.add("store.frame_duplicates", Int64(frames.count - inserted)) }
    }

    static func header(of item: Item) -> (EnvelopeHeader, Bool) {
        switch item {
        case .entry(let h, _), .episode(let h, _), .alert(let h, _), .acknowledgement(let h, _), .help(let h, _),
            .delivery(let h, _):
            (h, true)
        case .heartbeat(let h, _, _), .sensor(let h, _):
            (h, false)
        }
    }

    func write(_ item: Item, _ db: Database) throws {
        switch item {
        case .entry(let header, let entry):
            try Self.write(entry, header: header, db)
        case .episode(let header, let e):
            try db.cachedStatement(
                sql: """
                    INSERT INTO episode (episodeId, person, kind, sensorId, site, start, "end", detectedAt, confidence, peak, dominantFrequencyHz,
                        interrupted, test)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(episodeId) DO UPDATE SET
                        test = MAX(excluded.test, episode.test),
                        "end" = COALESCE(excluded."end", episode."end"),
                        peak = COALESCE(excluded.peak, episode.peak),
                        dominantFrequencyHz = COALESCE(excluded.dominantFrequencyHz, episode.dominantFrequencyHz),
                        confidence = CASE WHEN excluded."end" IS NOT NULL THEN excluded.confidence ELSE episode.confidence END,
                        start = MIN(excluded.start, episode.start),
                        detectedAt = MIN(excluded.detectedAt, episode.detectedAt),
                        interrupted = CASE WHEN excluded."end" IS NOT NULL THEN excluded.interrupted ELSE episode.interrupted END
                    -- An interrupted end never replaces an end that was detected.
                    WHERE NOT (excluded.interrupted = 1 AND episode."end" IS NOT NULL AND episode.interrupted = 0)
                    """
            ).execute(arguments: [
                e.episodeId.canonicalString, header.person, e.kind.rawValue, e.sensorId, e.site?.rawValue,
                e.start, e.end, e.detectedAt, e.confidence, e.peak, e.dominantFrequencyHz,
                e.phase == .end && e.interrupted == true, e.test == true,
            ])
        case .alert(let header, let a):
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO alert (alertId, person, kind, severity, at, site, json) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                a.alertId.uuidString, header.person, a.kind, a.severity.rawValue, a.at, a.site?.rawValue,
                try WireCodec.encode(a),
            ])
        case .acknowledgement(let header, let a):
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO acknowledgement (messageId, person, alertId, at, json) VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [header.id, header.person, a.alertId.uuidString, a.at, try WireCodec.encode(a)])
        case .help(let header, let h):
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO help_request (messageId, person, alertId, at, json) VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [header.id, header.person, h.alertId.uuidString, h.at, try WireCodec.encode(h)])
        case .delivery(let header, let d):
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO delivery (deliveryId, person, channel, outcome, at, json) VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                d.deliveryId.uuidString, header.person, d.channel, d.outcome.rawValue, d.at,
                try WireCodec.encode(d),
            ])
            for alertId in d.alertIds {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO delivery_alert (deliveryId, alertId, outcome) VALUES (?, ?, ?)")
                    .execute(arguments: [d.deliveryId.uuidString, alertId.uuidString, d.outcome.rawValue])
            }
        case .heartbeat(let header, let beat, let json):
            try db.cachedStatement(
                sql: """
                    INSERT INTO service_health (instance, service, lastSeen, json) VALUES (?, ?, ?, ?)
                    ON CONFLICT(instance) DO UPDATE SET service = excluded.service, lastSeen = excluded.lastSeen, json = excluded.json
                    WHERE excluded.lastSeen >= service_health.lastSeen
                    """
            ).execute(arguments: [beat.instance, beat.service, header.time, json])
        case .sensor(let header, let s):
            try db.cachedStatement(
                sql: """
                    INSERT INTO sensor (sensorId, person, kind, placement, sampleRate, channels, via, producer, firstSeen, lastSeen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(sensorId) DO UPDATE SET person = excluded.person, kind = excluded.kind,
                        placement = excluded.placement, sampleRate = excluded.sampleRate, channels = excluded.channels,
                        via = excluded.via, producer = excluded.producer, lastSeen = excluded.lastSeen
                    """
            ).execute(arguments: [
                s.sensorId, header.person, s.kind.rawValue, s.placement.rawValue, s.sampleRate,
                s.channels, s.via, s.producer, header.time, header.time,
            ])
        }
    }

    /// One diary entry row (also used to seed databases in tests and benchmarks).
    static func write(_ entry: DiaryEntry, header: EnvelopeHeader, _ db: Database) throws {
        var at = entry.recordedAt
        var site: String?
        var type: String?
        var severity: Int?
        var pain: Int?
        var nrs: Int?
        var psfs: Int?
        var target: String?
        var episode: String?
        var wasSpasm: Bool?
        switch entry.kind {
        case .spasm:
            if let s = entry.spasm {
                at = s.at
                site = s.site?.rawValue
                type = s.type.rawValue
                severity = s.severity
                pain = s.pain
            }
        case .checkin:
            if let c = entry.checkin {
                at = c.at
                nrs = c.nrs
                psfs = c.psfs
            }
        case .medication:
            if let m = entry.medication { at = m.at }
        case .exercise:
            if let e = entry.exercise { at = e.at }
        case .relapse:
            if let r = entry.relapse { at = r.at }
        case .correction:
            target = entry.correction?.targetEntryId.uuidString
        case .confirmation:
            episode = entry.confirmation?.episodeId.uuidString
            wasSpasm = entry.confirmation?.wasSpasm
        }
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO diary_entry (entryId, person, kind, at, recordedAt, via, messageId, site, spasmType, severity,
                    pain, nrs, psfs, targetEntryId, episodeId, wasSpasm, json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            entry.entryId.uuidString, header.person, entry.kind.rawValue, at, entry.recordedAt, entry.via,
            header.id, site, type, severity, pain, nrs, psfs, target, episode, wasSpasm,
            try WireCodec.encode(entry),
        ])
    }

    static func write(_ s: SensorMinuteSummary, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO sensor_minute (sensorId, minute, kind, samples, rms, peak, dominantFrequencyHz) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(sensorId, minute) DO UPDATE SET samples = excluded.samples, rms = excluded.rms, peak = excluded.peak,
                    dominantFrequencyHz = excluded.dominantFrequencyHz
                """
        ).execute(arguments: [s.sensorId, s.minute, s.kind.rawValue, s.samples, s.rms, s.peak, s.dominantFrequencyHz])
    }
}
