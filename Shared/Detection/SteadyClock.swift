import Foundation

/// A recording's time column as a producer would send it: evenly spaced samples.
///
/// A sensor with its own clock (a watch, a strap, an EMG amplifier) writes evenly spaced
/// times, and its samples are taken as they are. A phone's browser does not: each sample
/// is dated when the event reached the page, a few milliseconds early or late, and now and
/// then the page stalls for 50–100 ms. Taking those steps as gaps restarts the detector's
/// filters hundreds of times an hour, so such a recording is resampled onto a uniform
/// clock first (linear interpolation, as the phone page's `UniformResampler` does live);
/// only a pause longer than ``Recording/longestBridgedPause`` stays a gap.
extension Recording {
    /// Pauses up to this long (s) in a jittering clock are bridged, longer ones are gaps
    /// (the same limit as the phone page's resampler, `UniformResampler.maxGap`).
    public static let longestBridgedPause = 0.5

    /// True when the time column is not one steady clock: more than 1 % of the steps
    /// (pauses longer than ``longestBridgedPause`` aside) differ from the nominal period by
    /// more than 10 % of it plus the millisecond the column is written to.
    public var clockJitters: Bool {
        let dt = 1 / sampleRate, tolerance = 0.1 * dt + 0.001
        var steps = 0, off = 0
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
        let ch = kind.channels
        var outTimes: [Double] = [], outValues: [Float] = []
        outTimes.reserveCapacity(Int(duration * rate) + 16)
        outValues.reserveCapacity((Int(duration * rate) + 16) * ch)
        var start = times[0]
        var k = 0
        var previous = 0
        for i in times.indices {
            if i == 0 {
                outTimes.append(start); outValues.append(contentsOf: values[0..<ch]); k = 1
                continue
            }
            let t0 = times[previous], t = times[i]
            guard t > t0 else { continue }
            if t - t0 > Self.longestBridgedPause {
                // a gap: the next stretch starts at this sample
                start = t; k = 1; previous = i
                outTimes.append(t); outValues.append(contentsOf: values[(i * ch)..<((i + 1) * ch)])
                continue
            }
            while true {
                let at = start + Double(k) / rate
                guard at <= t else { break }
                let f = Float((at - t0) / (t - t0))
                for c in 0..<ch {
                    let a = values[previous * ch + c], b = values[i * ch + c]
                    outValues.append(a + (b - a) * f)
                }
                outTimes.append(at)
                k += 1
            }
            previous = i
        }
        return Recording(kind: kind, times: outTimes, values: outValues, sampleRate: rate)
    }
}
