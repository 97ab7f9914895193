import Foundation
import Logging
import SpasmConfig
import SpasmDetection
import SpasmSchema

/// One streaming detector per sensor, fed with frames in arrival order. Frames carry Unix
/// times, which the detectors use as their stream clock, so `detectedAt` is a Unix time too.
/// A change of rate or kind starts a fresh detector; learned sensitivity is kept per sensor.
actor DetectionEngine {
    struct Tracked {
        var detector: StreamingDetector
        var kind: SensorKind
        var sampleRate: Double
        var placement: BodySite
        /// The sensor's first sample time: detectors run on time since then (as `scan` does
        /// from a file's first sample), so live and offline arithmetic are the same.
        var origin: Double
        /// Open episodes by id: kind and start, to raise "long tonic spasm" while it lasts.
        var open: [UUID: (kind: EpisodeKind, start: Double, alerted: Bool)] = [:]
        /// Its frames say `"test": true`: its episodes and alerts are marked as test.
        var test = false
    }

    /// What the engine decided for one frame: messages to send, in order.
    enum Action: Sendable {
        case episode(EpisodeEvent)
        case alert(Alert)
    }

    private var sensors: [String: Tracked] = [:]
    private(set) var framesProcessed: Int64 = 0
    private(set) var samplesProcessed: Int64 = 0
    /// Times a detector restarted its filters at a gap in its sensor's stream (all sensors;
    /// the counter `detector.restarts`). Frames that join up never add to it.
    private(set) var detectorRestarts: Int64 = 0
    private let configuration: DetectSettings
    private let learning: SensitivityStore
    private let alerts: AlertWriter

    init(configuration: DetectSettings, learning: SensitivityStore, alerts: AlertWriter) {
        self.configuration = configuration
        self.learning = learning
        self.alerts = alerts
    }

    var sensorCount: Int { sensors.count }

    /// Recent processing lags (seconds from a frame's publication to its processing).
    private var lags = [Double](repeating: 0, count: 4096)
    private var lagCount = 0
    /// First and last stream time seen per sensor, for "was it streaming then?".
    private var coverage: [String: (first: Double, last: Double)] = [:]

    /// Runs one frame through its sensor's detector. `arrivedAt`: when ingestion published it.
    func process(frame: SensorFrame, samples: [Float], arrivedAt: Double) -> [Action] {
        lags[lagCount % lags.count] = Date().timeIntervalSince1970 - arrivedAt
        lagCount += 1
        let frameEnd = frame.firstSampleTime + Double(frame.sampleCount) / frame.sampleRate
        coverage[frame.sensorId] = (coverage[frame.sensorId]?.first ?? frame.firstSampleTime, frameEnd)
        let kind = frame.kind
        var tracked: Tracked
        let replacing = sensors[frame.sensorId].map { $0.kind != frame.kind || $0.sampleRate != frame.sampleRate } ?? false
        if let existing = sensors[frame.sensorId], !replacing {
            tracked = existing
            tracked.placement = frame.placement
        } else {
            tracked = Tracked(
                detector: StreamingDetector(
                    kind: kind, sampleRate: frame.sampleRate,
                    settings: learning.settings(for: frame.sensorId)),
                kind: frame.kind, sampleRate: frame.sampleRate, placement: frame.placement,
                origin: frame.firstSampleTime)
        }
        // A new rate or kind replaces the detector: what the old one had open ends, interrupted.
        var actions: [Action] = replacing ? sensors[frame.sensorId].map { closeAll(sensorId: frame.sensorId, $0) } ?? [] : []
        tracked.test = frame.test == true
        let gapsBefore = tracked.detector.gapCount
        let outputs = tracked.detector.process(startTime: frame.firstSampleTime - tracked.origin, samples: samples)
            .map { $0.shifted(by: tracked.origin) }
        detectorRestarts += Int64(tracked.detector.gapCount - gapsBefore)
        framesProcessed += 1
        samplesProcessed += Int64(frame.sampleCount)
        for output in outputs {
            actions += handle(output, sensorId: frame.sensorId, tracked: &tracked)
        }
        // A tonic spasm still going after the configured time raises a warning while it lasts.
        let now = frame.firstSampleTime + Double(frame.sampleCount) / frame.sampleRate
        for (id, episode) in tracked.open
        where episode.kind == .tonic && !episode.alerted
            && now - episode.start >= configuration.tonicAlertSeconds
        {
            tracked.open[id]?.alerted = true
            actions.append(
                .alert(
                    alerts.marked(
                        alerts.longTonic(
                            episodeId: id, sensorId: frame.sensorId, site: tracked.placement,
                            start: episode.start, seconds: now - episode.start),
                        test: tracked.test)))
        }
        sensors[frame.sensorId] = tracked
        return actions
    }

    /// Ends, as interrupted, every episode a sensor's detector has open (its state is about
    /// to be replaced), at the last sample it saw.
    private func closeAll(sensorId: String, _ old: Tracked) -> [Action] {
        var old = old
        return old.detector.finish().map { $0.shifted(by: old.origin) }
            .flatMap { handle($0, sensorId: sensorId, tracked: &old, interrupted: true) }
    }

    private func handle(_ output: DetectorOutput, sensorId: String, tracked: inout Tracked, interrupted: Bool = false) -> [Action] {
        switch output {
        case .onset(let onset):
            let kind = onset.kind
            tracked.open[onset.id] = (onset.kind, onset.start, false)
            var actions: [Action] = [
                .episode(
                    EpisodeEvent(
                        episodeId: onset.id, phase: .onset, kind: kind, sensorId: sensorId, site: tracked.placement,
                        start: onset.start, detectedAt: onset.detectedAt, confidence: onset.confidence, test: tracked.test ? true : nil))
            ]
            if let alert = alerts.onset(
                kind: kind, episodeId: onset.id, sensorId: sensorId, site: tracked.placement,
                at: onset.start, settings: configuration)
            {
                actions.append(.alert(alerts.marked(alert, test: tracked.test)))
            }
            return actions
        case .end(let end):
            let kind = end.kind
            let wasAlerted = tracked.open[end.id]?.alerted ?? false
            tracked.open[end.id] = nil
            var actions: [Action] = [
                .episode(
                    EpisodeEvent(
                        episodeId: end.id, phase: .end, kind: kind, sensorId: sensorId, site: tracked.placement, start: end.start,
                        end: end.end, detectedAt: end.detectedAt, confidence: end.confidence, peak: end.peak,
                        dominantFrequencyHz: end.dominantFrequencyHz, interrupted: interrupted ? true : nil,
                        test: tracked.test ? true : nil))
            ]
            if kind == .tonic && !wasAlerted && end.end - end.start >= configuration.tonicAlertSeconds {
                actions.append(
                    .alert(
                        alerts.marked(
                            alerts.longTonic(
                                episodeId: end.id, sensorId: sensorId, site: tracked.placement,
                                start: end.start, seconds: end.end - end.start),
                            test: tracked.test)))
            }
            return actions
        }
    }

    /// Applies new learned settings to a sensor's detector (a fresh detector state). Episodes
    /// the old state had open end, interrupted: the messages to send are returned.
    func reload(sensorId: String) -> [Action] {
        guard let tracked = sensors[sensorId] else { return [] }
        let actions = closeAll(sensorId: sensorId, tracked)
        sensors[sensorId]?.open = [:]
        sensors[sensorId]?.detector = StreamingDetector(
            kind: tracked.kind, sampleRate: tracked.sampleRate,
            settings: learning.settings(for: sensorId))
        return actions
    }

    /// The end of the last frame seen from each sensor that has an episode open.
    func lastSeenOfOpenEpisodes() -> [String: Double] {
        var seen: [String: Double] = [:]
        for (id, tracked) in sensors where !tracked.open.isEmpty { seen[id] = coverage[id]?.last }
        return seen
    }
}

extension DetectionEngine {
    /// Median and 99th percentile of recent processing lag, and the number of sensors.
    func lagPercentiles() -> (Double, Double, Int) {
        let n = min(lagCount, lags.count)
        guard n > 0 else { return (0, 0, sensorCount) }
        let sorted = lags.prefix(n).sorted()
        return (sorted[n / 2], sorted[min(n - 1, Int(Double(n) * 0.99))], sensorCount)
    }

    /// Sensors on the same limb as a diary spasm, streaming at that time, that detected
    /// nothing within 5 minutes of it: the person felt what the sensor missed.
    func sensorsMissing(spasmAt time: Double, site: BodySite, learning: SensitivityStore) -> [String] {
        let limb = (site.limb ?? site).rawValue
        return sensors.compactMap { id, tracked -> String? in
            guard (tracked.placement.limb ?? tracked.placement).rawValue == limb,
                let span = coverage[id], span.first <= time, span.last >= time
            else { return nil }
            return learning.hasEpisode(sensorId: id, near: time, within: 300) ? nil : id
        }
    }
}

extension DetectorOutput {
    /// The same output with its times moved by `offset` seconds (stream time → Unix time).
    func shifted(by offset: Double) -> DetectorOutput {
        switch self {
        case .onset(var o):
            o.start += offset
            o.detectedAt += offset
            return .onset(o)
        case .end(var e):
            e.start += offset
            e.end += offset
            e.detectedAt += offset
            return .end(e)
        }
    }
}
