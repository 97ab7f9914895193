import Foundation

/// One streaming detector per sensor. Feed it blocks of samples as they arrive; it
/// returns onsets as soon as the evidence is complete and ends when episodes are over.
///
/// Causal: an output only depends on samples already given. A block whose `startTime`
/// is more than 1.5 sample periods later than expected is a gap: open episodes are
/// ended at the last sample before it and the filters restart after it, so a gap never
/// creates an event. Value type: copy it to fork the state, keep one per sensor.
public struct StreamingDetector: Sendable {
    public let kind: SensorKind
    public let sampleRate: Double
    public let settings: DetectorSettings

    // Exactly one of the two is non-nil. They are taken out (set to nil) while
    // processing so the arrays inside stay uniquely referenced and mutate in place.
    private var imu: IMUDetector?
    private var emg: EMGDetector?
    private var nextExpected: Double? = nil
    private var lastSample = 0.0
    /// Number of gaps seen so far.
    public private(set) var gapCount = 0
    private var out: [DetectorOutput] = []

    public init(kind: SensorKind, sampleRate: Double, settings: DetectorSettings = .init()) {
        precondition(sampleRate > 0, "sampleRate must be positive")
        self.kind = kind; self.sampleRate = sampleRate; self.settings = settings
        switch kind {
        case .imu: imu = IMUDetector(sampleRate: sampleRate, settings: settings)
        case .emg: emg = EMGDetector(sampleRate: sampleRate, settings: settings)
        }
        out.reserveCapacity(8)
    }

    /// Process a block: `samples` interleaved (`x, y, z` in g for IMU; mV for EMG),
    /// `startTime` = stream time (s) of the block's first sample.
    public mutating func process(startTime: Double, samples: UnsafeBufferPointer<Float>) -> [DetectorOutput] {
        out.removeAll(keepingCapacity: true)
        let dt = 1 / sampleRate
        if let exp = nextExpected, startTime - exp > 1.5 * dt {
            gapCount += 1
            if var d = imu { imu = nil; d.gap(lastSampleTime: lastSample, nextStart: startTime, out: &out); imu = d }
            if var d = emg { emg = nil; d.gap(lastSampleTime: lastSample, nextStart: startTime, out: &out); emg = d }
        }
        let ch = kind.channels
        let n = samples.count / ch
        guard n > 0 else { return out }
        if var d = imu {
            imu = nil
            var i = 0
            while i < n {
                let b = i * 3
                d.step(Double(samples[b]), Double(samples[b + 1]), Double(samples[b + 2]),
                       time: startTime + Double(i) * dt, out: &out)
                i += 1
            }
            imu = d
        } else if var d = emg {
            emg = nil
            var i = 0
            while i < n {
                d.step(Double(samples[i]), time: startTime + Double(i) * dt, out: &out)
                i += 1
            }
            emg = d
        }
        lastSample = startTime + Double(n - 1) * dt
        nextExpected = startTime + Double(n) * dt
        return out
    }

    /// Convenience for arrays.
    public mutating func process(startTime: Double, samples: [Float]) -> [DetectorOutput] {
        samples.withUnsafeBufferPointer { process(startTime: startTime, samples: $0) }
    }

    /// End every episode still open (end of stream).
    public mutating func finish() -> [DetectorOutput] {
        out.removeAll(keepingCapacity: true)
        let at = lastSample
        if var d = imu { imu = nil; d.closeAll(at: at, detectedAt: at, out: &out); imu = d }
        if var d = emg { emg = nil; d.closeAll(at: at, detectedAt: at, out: &out); emg = d }
        return out
    }
}
