import Foundation

@testable import SpasmSchema

/// Fixed sample messages: the golden fixtures are these, encoded.
enum Samples {
    static let id = UUID(uuidString: "6F1B8C2E-3D4A-4B5C-9E8F-0A1B2C3D4E5F")!
    static let id2 = UUID(uuidString: "11111111-2222-4333-8444-555555555555")!
    static let time = 1_764_072_000.25

    static func header(_ type: String) -> EnvelopeHeader {
        EnvelopeHeader(type: type, id: id, source: "test-source", epoch: 42, seq: 7, time: time, person: "me")
    }

    static let frame = SensorFrame(
        sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, channels: 3,
        unit: .g, firstSampleTime: time, sampleCount: 2, producerSeq: 9)
    static let heartbeat = Heartbeat(
        service: "spasmwatch-store", instance: "store", pid: 1234, version: "0.1.0",
        uptimeSeconds: 12.5, counters: ["accepted": 10, "rejected.range": 1],
        info: ["database": "1.2 MB"])
    static let receipt = StoredReceipt(forSource: "manual", ids: [id, id2])
    static let entry = DiaryEntry(
        entryId: id2, recordedAt: time, via: "cli", kind: .spasm,
        spasm: SpasmRecord(
            at: time - 60, durationSeconds: 45, site: .leftCalf, type: .tonic,
            severity: 2, pain: 6, triggers: [.heat, .tiredness],
            effects: [.wokeMe], note: "3 a.m. again"))
    static let episode = EpisodeEvent(
        episodeId: id2, phase: .end, kind: .clonus, sensorId: "ankle-r", site: .rightAnkle,
        start: time - 5, end: time, detectedAt: time - 3, confidence: 0.9, peak: 0.45,
        dominantFrequencyHz: 5.5)
    static let alert = Alert(
        alertId: id2, kind: "fall", severity: .critical, groupKey: "me/fall", title: "Possible fall",
        message: "A fall was detected by the right ankle sensor at 14:02.", at: time,
        episodeId: id, sensorId: "ankle-r", site: .rightAnkle)
    static let acknowledgement = Acknowledgement(alertId: id2, by: "me", at: time, falseAlarm: true, via: "cli")
    static let delivery = Delivery(
        deliveryId: id, alertIds: [id2], receiver: "caregiver", channel: "webhook",
        attempt: 2, outcome: .failed, error: "HTTP 503", at: time, text: "Possible fall")
}
