import Foundation

/// Deterministic streaming generator of one simulated wearable.
///
/// ```swift
/// var sim = SignalSimulator(scenario: .demo(kind: .imu))
/// let chunk = sim.nextChunk(count: 50)   // 50 instants × 3 channels, g
/// ```
/// The same scenario (including `seed`) always produces the same chunks for the same
/// sequence of `count`s. Sample gaps happen only between chunks (a dropped radio packet):
/// the next chunk then has `gapBefore == true` and a later `startTime`.
/// Generation allocates nothing per sample; `fill(_:)` allocates nothing at all.
public struct SignalSimulator: Sendable {
    /// The scenario as given.
    public let scenario: SimulationScenario
    /// Effective rate (the scenario's, clamped to the supported range).
    public let sampleRate: Double
    /// 3 (IMU) or 1 (EMG).
    public let channelCount: Int

    private var imu: IMUEngine?
    private var emg: EMGEngine?
    private var gapRng: SimRandom
    private var nextGapIndex: Int64
    /// Next sample instant index on the undropped timeline.
    public private(set) var nextSampleIndex: Int64 = 0
    /// Total sample instants dropped so far, and how many gaps.
    public private(set) var droppedSamples: Int64 = 0
    public private(set) var gapCount: Int = 0
    private let limitIndex: Int64
    private var pendingEvents: [TruthEvent] = []

    public init(scenario: SimulationScenario) {
        self.scenario = scenario
        let rate = min(
            max(
                scenario.sampleRate.isFinite ? scenario.sampleRate : scenario.kind.defaultRate,
                scenario.kind.supportedRates.lowerBound), scenario.kind.supportedRates.upperBound)
        sampleRate = rate
        channelCount = scenario.kind.channels
        var root = SimRandom(seed: scenario.seed ^ (scenario.kind == .imu ? 0x1A2B : 0xE3E6))
        if let d = scenario.durationSeconds, d > 0 { limitIndex = Int64((d * rate).rounded()) } else { limitIndex = .max }
        switch scenario.kind {
        case .imu: imu = IMUEngine(scenario: scenario, rate: rate, rng: root.fork(), limitIndex: limitIndex)
        case .emg: emg = EMGEngine(scenario: scenario, rate: rate, rng: root.fork(), limitIndex: limitIndex)
        }
        gapRng = root.fork()
        nextGapIndex = .max
        nextGapIndex = scheduleGap(after: Int64(max(scenario.warmupSeconds, 0) * rate))
    }

    /// Stream time of the next sample.
    public var currentTime: Double { Double(nextSampleIndex) / sampleRate }
    /// Sample instants left before `durationSeconds` (nil when unbounded).
    public var remainingSamples: Int64? { limitIndex == .max ? nil : max(0, limitIndex - nextSampleIndex) }
    /// True once a bounded scenario has produced its whole duration.
    public var isFinished: Bool { remainingSamples == 0 }

    private mutating func scheduleGap(after i: Int64) -> Int64 {
        guard scenario.gapsPerHour > 0 else { return .max }
        return i + Int64(gapRng.exponential(mean: 3600 / scenario.gapsPerHour) * sampleRate)
    }

    /// The next `count` sample instants (fewer only at the end of a bounded scenario).
    public mutating func nextChunk(count: Int) -> SimulatedChunk {
        let gap = applyGapIfDue()
        let n = clampCount(count)
        let start = nextSampleIndex
        let samples = [Float](unsafeUninitializedCapacity: n * channelCount) { buf, initialized in
            generate(into: buf.baseAddress!, count: n)
            initialized = n * channelCount
        }
        let ev = pendingEvents
        pendingEvents.removeAll(keepingCapacity: true)
        return SimulatedChunk(
            startTime: Double(start) / sampleRate, samples: samples, channelCount: channelCount,
            newEvents: ev, gapBefore: gap, firstSampleIndex: start)
    }

    /// Allocation-free variant: fills `buffer` with `buffer.count / channelCount` instants
    /// (fewer at the end of a bounded scenario) and returns the chunk header with empty `samples`.
    public mutating func fill(_ buffer: UnsafeMutableBufferPointer<Float>) -> SimulatedChunk {
        let gap = applyGapIfDue()
        let n = clampCount(buffer.count / channelCount)
        let start = nextSampleIndex
        if n > 0, let base = buffer.baseAddress { generate(into: base, count: n) }
        let ev = pendingEvents
        pendingEvents.removeAll(keepingCapacity: true)
        return SimulatedChunk(
            startTime: Double(start) / sampleRate, samples: [], channelCount: channelCount,
            newEvents: ev, gapBefore: gap, firstSampleIndex: start, count: n)
    }

    private func clampCount(_ count: Int) -> Int {
        var n = max(count, 0)
        if limitIndex != .max { n = Int(min(Int64(n), max(0, limitIndex - nextSampleIndex))) }
        return n
    }

    private mutating func generate(into p: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        if imu != nil {
            imu!.generate(into: p, count: count, events: &pendingEvents)
        } else {
            emg!.generate(into: p, count: count, events: &pendingEvents)
        }
        nextSampleIndex += Int64(count)
    }

    private var eventActive: Bool {
        if let imu { return imu.eventKind != nil || imu.index < imu.evBusyUntil }
        if let emg { return emg.eventKind != nil }
        return false
    }

    private var nextEventIndex: Int64 { imu?.planner.nextIndex ?? emg?.planner.nextIndex ?? .max }

    /// Drop 0.2–1.5 s of samples when a gap is due and no event is running (the dropped
    /// instants are still simulated, so signals stay continuous across the hole).
    private mutating func applyGapIfDue() -> Bool {
        guard nextSampleIndex >= nextGapIndex else { return false }
        let len = Int64(gapRng.uniform(0.2...1.5) * sampleRate)
        let margin = Int64(1.0 * sampleRate)
        if eventActive || nextEventIndex - nextSampleIndex < len + margin {
            nextGapIndex = nextSampleIndex + Int64(2 * sampleRate)  // try again later
            return false
        }
        if limitIndex != .max && nextSampleIndex + len + margin >= limitIndex {
            nextGapIndex = .max
            return false
        }
        var scratch = [Float](repeating: 0, count: Int(len) * channelCount)
        scratch.withUnsafeMutableBufferPointer { generate(into: $0.baseAddress!, count: Int(len)) }
        pendingEvents.removeAll(keepingCapacity: true)  // none can start (checked above)
        droppedSamples += len
        gapCount += 1
        nextGapIndex = scheduleGap(after: nextSampleIndex)
        return true
    }
}

extension SignalSimulator {
    /// Test hook: start recording per-sample ground truth (costs memory; not for production).
    mutating func enableTruthLog() {
        if imu != nil { imu!.truthEnabled = true } else { emg!.truthEnabled = true }
    }
    /// The recorded ground truth (emitted and dropped instants alike).
    var truthLog: TruthLog? {
        if let imu, imu.truthEnabled { return imu.truthLog }
        if let emg, emg.truthEnabled { return emg.truthLog }
        return nil
    }
}
