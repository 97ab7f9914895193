import Foundation
import SpasmConfig
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// Frames lost between sensor ingestion and storage, per sensor: accepted at ingestion
/// (`SensorReply.acceptedFrames`, kept across restarts) minus stored by the store
/// (`storedFrames`). Frames the store never saw — it was down, or the bus dropped them —
/// show here instead of nowhere. `spasmwatch sensors` and `spasmwatch status` print it.
struct FrameLoss {
    let accepted: [String: Int64]
    /// Nil when the store did not answer: loss is then unknown.
    let stored: [String: Int64]?

    /// Frames accepted and never stored; nil when unknown.
    func lost(_ sensorId: String) -> Int64? {
        guard let stored else { return nil }
        return max(0, (accepted[sensorId] ?? 0) - (stored[sensorId] ?? 0))
    }

    /// Sensors with loss, most first.
    var losses: [(sensorId: String, lost: Int64, accepted: Int64)] {
        accepted.keys.compactMap { id in lost(id).flatMap { $0 > 0 ? (id, $0, accepted[id] ?? 0) : nil } }
            .sorted { ($0.lost, $1.sensorId) > ($1.lost, $0.sensorId) }
    }

    /// The store's counts. Asked after ingestion's, so frames in flight have had their time;
    /// while some frames still look lost it asks again (twice, a second apart), so frames
    /// the store was about to commit are not taken for loss.
    static func fetch(accepted: [String: Int64], home: DataHome, configuration: Configuration) async -> FrameLoss {
        let endpoint = Endpoints(home: home, configuration: configuration).storeQuery
        var loss = FrameLoss(accepted: accepted, stored: nil)
        let client = StoreClient(context: ProcessContext.shared, endpoint: endpoint, timeoutSeconds: 3)
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .seconds(1)) }
            let response = try? await client.send(StoreRequest(query: .storedFrames))
            guard let stored = response?.storedFrames else { return loss }
            loss = FrameLoss(accepted: accepted, stored: stored)
            if loss.losses.isEmpty { return loss }
        }
        return loss
    }

    /// Lines for `spasmwatch status`; empty when nothing is lost.
    var statusLines: [String] {
        losses.map { "\($0.sensorId): \($0.lost) of \($0.accepted) frames accepted by sensor ingestion were never stored" }
    }
}
