import Foundation

/// Poisson scheduling of event onsets shared by the IMU and EMG engines.
///
/// Events never overlap: the next onset is at least `minSpacing` seconds after the
/// previous event (and its aftermath) ended, so two labels are never merged by a scorer.
struct EventPlanner: Sendable {
    let rate: Double
    let kinds: [EpisodeKind]
    let weights: [Double]
    let meanInterval: Double  // seconds
    let limitIndex: Int64  // events must end before this sample index
    static let minSpacing = 4.0
    var nextIndex: Int64
    var rng: SimRandom

    init(
        rate: Double, rates: EventRates, allowed: [EpisodeKind], warmup: Double,
        limitIndex: Int64, rng: SimRandom
    ) {
        self.rate = rate
        var k: [EpisodeKind] = []
        var w: [Double] = []
        for kind in allowed {
            let r: Double
            switch kind {
            case .phasic: r = rates.phasic
            case .clonus: r = rates.clonus
            case .tonic: r = rates.tonic
            case .fall: r = rates.fall
            }
            if r > 0 {
                k.append(kind)
                w.append(r)
            }
        }
        kinds = k
        weights = w
        let total = w.reduce(0, +)
        meanInterval = total > 0 ? 3600 / total : .infinity
        self.limitIndex = limitIndex
        self.rng = rng
        nextIndex = .max
        schedule(after: Int64(max(warmup, 0) * rate))
    }

    /// Plan the next onset after sample index `index` (plus the minimum spacing when an event just ended).
    mutating func schedule(after index: Int64, spacing: Double = 0) {
        guard meanInterval.isFinite else {
            nextIndex = .max
            return
        }
        let wait = spacing + rng.exponential(mean: meanInterval)
        let s = Double(index) + wait * rate
        nextIndex = s < Double(Int64.max / 2) ? Int64(s) : .max
    }

    /// Choose which kind fires.
    mutating func pickKind() -> EpisodeKind {
        let total = weights.reduce(0, +)
        var u = rng.uniform() * total
        for (i, w) in weights.enumerated() {
            if u < w { return kinds[i] }
            u -= w
        }
        return kinds[kinds.count - 1]
    }

    /// Whether an event of `seconds` starting at `index` fits before the end of the recording.
    func fits(index: Int64, seconds: Double) -> Bool {
        limitIndex == .max || Double(index) + (seconds + 1.5) * rate < Double(limitIndex)
    }
}
