import Foundation
import SpasmDiary
import SpasmSchema
import Testing

/// The phone page's one-line episode summaries.
@Suite("Episode summaries")
struct EpisodeTextTests {
    static let t = 1_764_072_000.0

    @Test func anInterruptedEpisodeSaysSoAndIsNotOngoing() {
        let onset = EpisodeEvent(
            episodeId: UUID(), phase: .onset, kind: .tonic, sensorId: "calf", site: .leftCalf, start: Self.t,
            detectedAt: Self.t + 2, confidence: 0.8)
        #expect(DiaryText.summary(onset) == "tonic, left calf, ongoing, confidence 80%")
        var end = onset
        end.phase = .end
        end.end = Self.t + 40
        end.interrupted = true
        #expect(DiaryText.summary(end) == "tonic, left calf, 40 s, interrupted (detection stopped), confidence 80%")
        end.interrupted = nil
        #expect(DiaryText.summary(end) == "tonic, left calf, 40 s, confidence 80%")
    }
}
