import Foundation

/// One streaming detector per sensor. Feed it blocks of samples as they arrive; it
/// returns onsets as soon as the evidence is complete and ends when episodes are over.
///
/// Causal: an output only depends on samples already given. A block whose `startTime`
/// is more than 1.5 sample periods away from the expected time (later: dropped samples;
/// earlier: a clock reset) is a gap: open episodes are
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
    private var lastGood: (Double, Double, Double) = (0, 0, 1)
    private var lastBlockDuration = 0.0

    public init(kind: SensorKind, sampleRate: Double, settings: DetectorSettings = .init()) {
        precondition(sampleRate > 0, "sampleRate must be positive")
        self.kind = kind
        self.sampleRate = sampleRate
        self.settings = settings
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
        // A jump forward (dropped samples) or backward (clock reset) is a discontinuity.
        // The tolerance grows a little with the previous block's length, so a sensor whose
        // true rate is off by ~0.1 % does not turn every long block boundary into a gap.
        if let exp = nextExpected, abs(startTime - exp) > 1.5 * dt + min(0.002 * lastBlockDuration, 2 * dt) {
            gapCount += 1
            if var d = imu {
                imu = nil
                d.gap(lastSampleTime: lastSample, nextStart: startTime, out: &out)
                imu = d
            }
            if var d = emg {
                emg = nil
                d.gap(lastSampleTime: lastSample, nextStart: startTime, out: &out)
                emg = d
            }
        }
        let ch = kind.channels
        let n = samples.count / ch
        guard n > 0 else { return out }
        if var d = imu {
            imu = nil
            var i = 0
            while i < n {
                let b = i * 3
                var x = Double(samples[b])
                var y = Double(samples[b + 1])
                var z = Double(samples[b + 2])
                // a non-finite value (sensor glitch) would poison every filter: hold the last good one
                if !(x.isFinite && y.isFinite && z.isFinite) {
                    x = lastGood.0
                    y = lastGood.1
                    z = lastGood.2
                } else {
                    lastGood = (x, y, z)
                }
                d.step(x, y, z, time: Self.tick(startTime + Double(i) * dt), out: &out)
                i += 1
            }
            imu = d
        } else if var d = emg {
            emg = nil
            var i = 0
            while i < n {
                var x = Double(samples[i])
                if !x.isFinite { x = lastGood.0 } else { lastGood.0 = x }
                d.step(x, time: Self.tick(startTime + Double(i) * dt), out: &out)
                i += 1
            }
            emg = d
        }
        lastSample = startTime + Double(n - 1) * dt
        lastBlockDuration = Double(n) * dt
        nextExpected = startTime + Double(n) * dt
        return out
    }

    /// Sample times on a microsecond grid, so that how a stream is cut into blocks
    /// cannot change a decision through floating-point rounding.
    @inline(__always) static func tick(_ t: Double) -> Double { (t * 1e6).rounded() * 1e-6 }

    /// Convenience for arrays.
    public mutating func process(startTime: Double, samples: [Float]) -> [DetectorOutput] {
        samples.withUnsafeBufferPointer { process(startTime: startTime, samples: $0) }
    }

    /// End every episode still open (end of stream).
    public mutating func finish() -> [DetectorOutput] {
        out.removeAll(keepingCapacity: true)
        let at = lastSample
        if var d = imu {
            imu = nil
            d.closeAll(at: at, detectedAt: at, out: &out)
            imu = d
        }
        if var d = emg {
            emg = nil
            d.closeAll(at: at, detectedAt: at, out: &out)
            emg = d
        }
        return out
    }
}
