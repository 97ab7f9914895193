import Foundation

/// An episode between its onset and its end, inside a detector.
struct OpenEpisode: Sendable {
    let id = UUID()
    let kind: EpisodeKind
    let start: Double
    let detectedAt: Double
    let confidence: Double
    var peak = 0.0
    var dominantFrequencyHz: Double? = nil

    init(kind: EpisodeKind, start: Double, detectedAt: Double, confidence: Double) {
        self.kind = kind
        self.start = start
        self.detectedAt = detectedAt
        self.confidence = confidence
    }

    var onset: EpisodeOnset {
        EpisodeOnset(id: id, kind: kind, start: start, detectedAt: detectedAt, confidence: confidence)
    }

    func end(at end: Double, detectedAt: Double) -> EpisodeEnd {
        EpisodeEnd(
            id: id, kind: kind, start: start, end: max(end, start), detectedAt: detectedAt,
            peak: peak, dominantFrequencyHz: dominantFrequencyHz, confidence: confidence)
    }
}
