import Foundation
import SpasmSignal

/// A recording's time column as a producer would send it: evenly spaced samples.
///
/// A sensor with its own clock (a watch, a strap, an EMG amplifier) writes evenly spaced
/// times, and its samples are taken as they are. A phone's browser does not: each sample
/// is dated when the event reached the page, a few milliseconds early or late, and now and
/// then the page stalls for 50–100 ms. Taking those steps as gaps restarts the detector's
/// filters hundreds of times an hour, so such a recording is resampled onto a uniform
/// clock first, by the same `UniformResampler` the phone's WebSocket runs live;
/// only a pause longer than ``Recording/longestBridgedPause`` stays a gap.
extension Recording {
    /// Pauses up to this long (s) in a jittering clock are bridged, longer ones are gaps
    /// (the resampler's own default, `UniformResampler.maxGap`).
    public static let longestBridgedPause = UniformResampler(rate: 1).maxGap

    /// True when the time column is not one steady clock: more than 1 % of the steps
    /// (pauses longer than ``longestBridgedPause`` aside) differ from the nominal period by
    /// more than 10 % of it plus the millisecond the column is written to.
    public var clockJitters: Bool {
        let dt = 1 / sampleRate
        let tolerance = 0.1 * dt + 0.001
        var steps = 0
        var off = 0
        for i in 1..<max(1, times.count) {
            let step = times[i] - times[i - 1]
            if step > Self.longestBridgedPause { continue }
            steps += 1
            if abs(step - dt) > tolerance { off += 1 }
        }
        return steps > 0 && off * 100 > steps
    }

    /// The recording on a steady clock, at its nominal rate rounded to 0.001 Hz (what a
    /// sensor frame says): its own samples when its clock is steady, else resampled from the
    /// first sample of each stretch between pauses longer than ``longestBridgedPause``.
    /// A sample not after the one before is dropped.
    public func steadyClock() -> Recording {
        let rate = (sampleRate * 1000).rounded() / 1000
        guard clockJitters else {
            var same = self
            same.sampleRate = rate
            return same
        }
        var resampler = UniformResampler(rate: rate, channels: kind.channels, maxGap: Self.longestBridgedPause)
        let runs = resampler.add(times: times, interleaved: values) + resampler.finish()
        var outTimes: [Double] = []
        var outValues: [Float] = []
        outTimes.reserveCapacity(Int(duration * rate) + 16)
        outValues.reserveCapacity((Int(duration * rate) + 16) * kind.channels)
        for run in runs {
            for k in 0..<run.count { outTimes.append(run.firstSampleTime + Double(k) / rate) }
            outValues += run.samples
        }
        return Recording(kind: kind, times: outTimes, values: outValues, sampleRate: rate)
    }
}
