import Foundation
import SpasmSchema

/// A plausible, deterministic 90-day history for demos and the report screenshot: daily
/// spasms and check-ins, vitamin D from day 20, a relapse on days 30–34, baclofen from
/// day 45 (spasms and NRS fall by about half), stretching from day 60, detected episodes
/// and a fall alert. A shorter history keeps the same shape, scaled to its length.
public struct DemoHistory: Sendable {
    public var entries: [DiaryEntry] = []
    public var episodes: [EpisodeEvent] = []
    public var alerts: [Alert] = []

    public init(endingAt end: Double, days: Int = 90) {
        var seed: UInt64 = 0x5eed
        func random() -> Double {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(seed >> 11) / Double(1 << 53)
        }
        let start = (end / 86_400).rounded(.down) * 86_400 - Double(days - 1) * 86_400
        /// Day `d` of the 90-day plan, scaled to `days`.
        func plan(_ d: Int) -> Int { d * days / 90 }
        let types: [SpasmType] = [.phasic, .phasic, .tonic, .clonus, .cramp]
        let sites: [BodySite] = [.leftCalf, .leftCalf, .rightCalf, .leftThigh, .rightAnkle, .back]
        let triggers: [SpasmTrigger] = [.tiredness, .heat, .posture, .stress, .inactivity]
        for day in 0..<days {
            let midnight = start + Double(day) * 86_400
            let relapse = (plan(30)...plan(34)).contains(day)
            let treated = day >= plan(45)
            var mean = treated ? 3.0 : 7.0
            if relapse { mean += 6 }
            let count = max(0, Int((mean + (random() - 0.5) * 4).rounded()))
            for _ in 0..<count {
                // More in the evening and early morning.
                let hour = random() < 0.6 ? 18 + random() * 5 : 5 + random() * 12
                let at = midnight + hour * 3600
                guard at < end else { continue }
                entries.append(
                    DiaryEntry(
                        recordedAt: at + 120, via: "demo", kind: .spasm,
                        spasm: SpasmRecord(
                            at: at, durationSeconds: 5 + random() * 60, site: sites[Int(random() * Double(sites.count))],
                            type: types[Int(random() * Double(types.count))], severity: relapse ? 3 : (random() < 0.5 ? 1 : 2),
                            pain: Int(random() * 6) + (relapse ? 3 : 1), triggers: [triggers[Int(random() * Double(triggers.count))]])))
            }
            let detected = max(0, Int(((treated ? 2.0 : 4.0) + (relapse ? 3 : 0) + (random() - 0.5) * 3).rounded()))
            for n in 0..<detected {
                let at = midnight + (1 + random() * 22) * 3600
                guard at < end else { continue }
                let kind: EpisodeKind = n % 3 == 0 ? .clonus : (n % 3 == 1 ? .phasic : .tonic)
                var id = UUID().uuid
                withUnsafeMutableBytes(of: &id) { $0.storeBytes(of: seed, as: UInt64.self) }
                _ = random()
                let episodeId = UUID(uuid: id)
                let site: BodySite = kind == .tonic ? .leftCalf : .rightAnkle
                episodes.append(
                    EpisodeEvent(
                        episodeId: episodeId, phase: .onset, kind: kind, sensorId: kind == .tonic ? "calf-emg" : "ankle-r",
                        site: site, start: at, detectedAt: at + 2, confidence: 0.8))
                episodes.append(
                    EpisodeEvent(
                        episodeId: episodeId, phase: .end, kind: kind, sensorId: kind == .tonic ? "calf-emg" : "ankle-r",
                        site: site, start: at, end: at + 3 + random() * 20, detectedAt: at + 2, confidence: 0.9,
                        peak: kind == .tonic ? 0.4 : 1.3, dominantFrequencyHz: kind == .clonus ? 5 + random() : nil))
            }
            let nrsBase = treated ? 3.0 : 6.0
            let checkinAt = midnight + 21 * 3600
            if checkinAt < end {
                entries.append(
                    DiaryEntry(
                        recordedAt: checkinAt, via: "demo", kind: .checkin,
                        checkin: CheckIn(
                            at: checkinAt, nrs: min(10, Int((nrsBase + (relapse ? 3 : 0) + random() * 2).rounded())),
                            psfs: count > 10 ? 4 : (count > 3 ? 3 : 2), sleepQuality: Int(4 + random() * 5))))
            }
            if day >= plan(60) && day % 2 == 0 {
                let at = midnight + 10 * 3600
                if at < end {
                    entries.append(
                        DiaryEntry(
                            recordedAt: at, via: "demo", kind: .exercise, exercise: ExerciseRecord(at: at, activity: "stretching", minutes: 20)))
                }
            }
        }
        func day(_ n: Int, _ hour: Double) -> Double { start + Double(plan(n)) * 86_400 + hour * 3600 }
        entries.append(
            DiaryEntry(
                recordedAt: day(20, 9), via: "demo", kind: .medication,
                medication: MedicationRecord(
                    at: day(20, 9), name: "vitamin D", dose: 1000, unit: "IU", action: .started, regimen: .regular, supplement: true)))
        entries.append(DiaryEntry(recordedAt: day(30, 8), via: "demo", kind: .relapse, relapse: RelapseRecord(at: day(30, 8), phase: .start)))
        entries.append(
            DiaryEntry(
                recordedAt: day(34, 20), via: "demo", kind: .relapse, relapse: RelapseRecord(at: day(34, 20), phase: .end, markedBy: .clinician)))
        entries.append(
            DiaryEntry(
                recordedAt: day(45, 8), via: "demo", kind: .medication,
                medication: MedicationRecord(
                    at: day(45, 8), name: "baclofen", dose: 10, unit: "mg", action: .started, regimen: .regular)))
        alerts.append(
            Alert(
                kind: "fall", severity: .critical, groupKey: "fall", title: "Fall detected",
                message: "A fall was detected at the right ankle sensor.", at: day(32, 19.5), sensorId: "ankle-r", site: .rightAnkle))
        alerts.append(
            Alert(
                kind: "flare-up", severity: .warning, groupKey: "flare-up", title: "Possible flare-up",
                message: "Spasms are well above the usual for two days.", at: day(31, 21)))
        entries.removeAll { $0.recordedAt > end }
        alerts.removeAll { $0.at > end }
    }
}
