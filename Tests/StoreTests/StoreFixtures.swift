import Foundation
import GRDB
import SpasmBus
import SpasmSchema
import SpasmStore
import SpasmTestSupport

/// Builds bus messages as the store's subscriber hands them over, and fresh databases.
enum StoreFixtures {
    static func message<Body: MessageBody>(
        _ body: Body, topic: String, id: UUID = UUID(), source: String = "test",
        seq: UInt64 = 0, person: String = "me", payload: Data? = nil
    ) throws -> BusMessage {
        let header = EnvelopeHeader(
            type: Body.messageType, id: id, source: source, epoch: 1, seq: seq, time: 1_764_000_000,
            person: person)
        var parts = [Data(topic.utf8), try WireCodec.assemble(header: header, bodyJSON: WireCodec.encode(body))]
        if let payload { parts.append(payload) }
        return try BusMessage(frames: parts)
    }

    static func entry(_ entry: DiaryEntry, id: UUID = UUID()) throws -> BusMessage {
        try message(entry, topic: Topic.manualEntry, id: id, source: "manual")
    }

    static func database(_ label: String) throws -> (AppDatabase, URL) {
        let dir = try TestSupport.temporaryHome(label)
        return (try AppDatabase.open(url: dir.appendingPathComponent("data/spasmwatch.sqlite")), dir)
    }

    /// A store in memory, for tests of queries rather than of files.
    static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue(), raw: DatabaseQueue())
    }

    /// Unix time of an ISO 8601 instant ("2026-10-24T10:00:00Z").
    static func utc(_ text: String) -> Double {
        ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970
    }

    static func spasm(
        _ at: String, _ type: SpasmType, severity: Int, site: BodySite? = nil, pain: Int? = nil,
        id: UUID = UUID()
    ) -> DiaryEntry {
        DiaryEntry(
            entryId: id, recordedAt: utc(at) + 60, via: "test", kind: .spasm,
            spasm: SpasmRecord(at: utc(at), site: site, type: type, severity: severity, pain: pain))
    }

    static func checkin(_ at: String, nrs: Int, psfs: Int? = nil) -> DiaryEntry {
        DiaryEntry(recordedAt: utc(at), via: "test", kind: .checkin, checkin: CheckIn(at: utc(at), nrs: nrs, psfs: psfs))
    }

    static func episode(_ id: UUID, _ phase: EpisodeEvent.Phase, _ kind: EpisodeKind, start: String, site: BodySite?) throws -> BusMessage {
        let t = utc(start)
        let body = EpisodeEvent(
            episodeId: id, phase: phase, kind: kind, sensorId: "ankle-l", site: site, start: t,
            end: phase == .end ? t + 4 : nil, detectedAt: t + 2, confidence: phase == .end ? 0.95 : 0.8,
            peak: phase == .end ? 0.6 : nil, dominantFrequencyHz: phase == .end && kind == .clonus ? 5.5 : nil)
        return try message(body, topic: Topic.episode(kind.rawValue), source: "detect-0")
    }
}
