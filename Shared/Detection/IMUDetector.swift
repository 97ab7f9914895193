import Foundation

/// Causal IMU detector: falls, clonus and phasic jerks from 3-axis acceleration (g).
///
/// Per sample (all O(1)):
/// - **gravity**: an adaptive low-pass that tracks fast (τ 0.1 s) while |a| ≈ 1 g and the
///   change is small (the limb is only rotating), and slowly (τ 3 s) otherwise, so jerks
///   do not leak into the gravity estimate but gestures do not look like jerks;
/// - **fall**: a state machine on |a| (free fall then impact);
/// - **phasic**: pulses of dynamic acceleration |a − g| that peak above the threshold and
///   are short; jerks less than `phasicMergeSeconds` apart form one episode;
/// - **clonus**: the 3-axis signal band-passed to the clonus band, decimated to ~25–50 Hz,
///   feeds an exponentially windowed autocorrelation; rhythm = strong correlation at a
///   3–8 Hz period plus anti-correlation at half that period (walking harmonics and
///   10–15 Hz vibration fail one of the two) with a band amplitude above threshold.
#if DEBUG_TRACE
let traceWindow: (Double, Double)? = {
    guard let w = ProcessInfo.processInfo.environment["TRACE"]?.split(separator: ","), w.count == 2,
          let a = Double(w[0]), let b = Double(w[1]) else { return nil }
    return (a, b)
}()
#endif

struct IMUDetector: Sendable {
    let fs: Double
    let dt: Double
    let s: DetectorSettings

    // thresholds (scaled by sensitivity)
    private let phasicPeak: Double
    private let pulseLow: Double
    private let clonusAmp: Double

    // gravity
    private var gx = 0.0, gy = 0.0, gz = 1.0
    private var haveGravity = false
    private let alphaFast: Double, alphaSlow: Double

    // clonus band (per axis: high-pass then low-pass)
    private var hp = [Biquad](), lp = [Biquad]()
    private var bandEnv: OnePole            // fast envelope of band power (for end time)
    private let decim: Int
    private var decimCount = 0
    private var rhythm: RhythmTracker
    private let minLag: Int, maxLag: Int
    private let fsd: Double

    // time
    private(set) var t = 0.0               // time of the current sample
    private var warmupUntil = 0.0

    // fall
    private var lowStart: Double? = nil
    private var lowLast = 0.0
    private var armedUntil = -Double.infinity
    private var armedStart = 0.0
    private var fall: OpenEpisode? = nil
    private var fallLastHigh = 0.0
    private var lastFallStart = -Double.infinity, lastFallEnd = -Double.infinity

    // phasic pulse
    private var inPulse = false
    private var pulseStart = 0.0, pulseLastAbove = 0.0, pulsePeak = 0.0
    private var phasic: OpenEpisode? = nil
    private var phasicLastJerkEnd = 0.0

    // clonus
    private var rhythmOnSince: Double? = nil
    private var rhythmLast = 0.0
    private var strongLast = 0.0
    private var clonus: OpenEpisode? = nil
    private var clonusBestR = 0.0
    private var clonusFreqSum = 0.0, clonusFreqN = 0.0

    init(sampleRate: Double, settings: DetectorSettings) {
        fs = sampleRate; dt = 1 / sampleRate; s = settings
        let k = settings.amplitudeScale
        phasicPeak = settings.phasicPeakG * k
        pulseLow = 0.5 * settings.phasicPeakG * k
        clonusAmp = settings.clonusMinAmplitudeG * k
        alphaFast = 1 - exp(-1 / (0.1 * fs))
        alphaSlow = 1 - exp(-1 / (3.0 * fs))
        let lo = settings.clonusLowHz, hi = settings.clonusHighHz
        hp = Array(repeating: .highPass(lo * 0.85, fs: fs), count: 3)
        lp = Array(repeating: .lowPass(min(hi * 1.1, 0.45 * fs), fs: fs), count: 3)
        bandEnv = OnePole(tau: 0.15, fs: fs)
        decim = max(1, Int((fs / 40).rounded(.down)))
        fsd = fs / Double(decim)
        minLag = max(2, Int((fsd / (hi * 1.06)).rounded(.down)))
        maxLag = Int((fsd / (lo * 0.94)).rounded(.up)) + 1
        rhythm = RhythmTracker(channels: 3, maxLag: maxLag, tau: 0.6, fs: fsd)
    }

    // MARK: gaps

    /// Called when the stream jumps: close what is open at the last sample, restart transients.
    mutating func gap(lastSampleTime: Double, nextStart: Double, out: inout [DetectorOutput]) {
        closeAll(at: lastSampleTime, detectedAt: nextStart, out: &out)
        for i in 0..<3 { hp[i].reset(); lp[i].reset() }
        rhythm.reset(); decimCount = 0; bandEnv.y = 0
        lowStart = nil; armedUntil = -.infinity
        inPulse = false
        rhythmOnSince = nil
        haveGravity = false
        warmupUntil = nextStart + 0.5
    }

    mutating func closeAll(at time: Double, detectedAt: Double, out: inout [DetectorOutput]) {
        if let f = fall { out.append(.end(f.end(at: max(f.start, time), detectedAt: detectedAt))); fall = nil
            lastFallEnd = time }
        if let p = phasic { out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: detectedAt))); phasic = nil }
        if let c = clonus { closeClonus(c, detectedAt: detectedAt, out: &out) }
        inPulse = false
    }

    private mutating func closeClonus(_ c: OpenEpisode, detectedAt: Double, out: inout [DetectorOutput]) {
        var c = c
        c.dominantFrequencyHz = clonusFreqN > 0 ? clonusFreqSum / clonusFreqN : nil
        let end = max(c.start + 0.1, min(strongLast, rhythmLast))
        out.append(.end(c.end(at: end, detectedAt: detectedAt)))
        clonus = nil
    }

    // MARK: per sample

    @inline(__always)
    mutating func step(_ ax: Double, _ ay: Double, _ az: Double, time: Double, out: inout [DetectorOutput]) {
        t = time
        if !haveGravity {
            gx = ax; gy = ay; gz = az; haveGravity = true
            for i in 0..<3 {
                let v = i == 0 ? ax : (i == 1 ? ay : az)
                hp[i].settle(at: v); lp[i].settle(at: hp[i].step(v))
            }
        }
        let m = (ax * ax + ay * ay + az * az).squareRoot()

        // --- dynamic acceleration (gravity removed)
        let dx = ax - gx, dy = ay - gy, dz = az - gz
        let d = (dx * dx + dy * dy + dz * dz).squareRoot()
        let a = (abs(m - 1) < 0.15 && d < 0.6) ? alphaFast : alphaSlow
        gx += a * dx; gy += a * dy; gz += a * dz

        // --- fall
        stepFall(m, out: &out)

        // --- clonus band
        let bx = lp[0].step(hp[0].step(ax))
        let by = lp[1].step(hp[1].step(ay))
        let bz = lp[2].step(hp[2].step(az))
        let bp = bandEnv.step(bx * bx + by * by + bz * bz)
        if (2 * bp).squareRoot() >= 0.7 * clonusAmp { strongLast = t }
        decimCount += 1
        if decimCount >= decim {
            decimCount = 0
            rhythm.push(bx, by, bz)
            stepClonus(out: &out)
        }

        // --- phasic
        stepPulse(d, out: &out)
        if let p = phasic, t - phasicLastJerkEnd >= s.phasicMergeSeconds {
            out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: t))); phasic = nil
        }
    }

    private mutating func stepFall(_ m: Double, out: inout [DetectorOutput]) {
        let ff = s.fallFreeFallG * (2 - s.amplitudeScale)   // more sensitive → higher free-fall limit
        if m < ff {
            if lowStart == nil { lowStart = t }
            lowLast = t
        } else if let ls = lowStart {
            if lowLast - ls + dt >= s.fallFreeFallSeconds - 0.25 * dt {
                armedUntil = lowLast + s.fallImpactWithinSeconds
                armedStart = ls
            }
            lowStart = nil
        }
        let impact = s.fallImpactG * s.amplitudeScale
        if m > impact, t <= armedUntil, fall == nil, t >= warmupUntil {
            armedUntil = -.infinity
            var f = OpenEpisode(kind: .fall, start: armedStart, detectedAt: t,
                                confidence: confidence(ratio: m / impact))
            f.peak = m
            out.append(.onset(f.onset))
            fall = f
            fallLastHigh = t
            lastFallStart = armedStart
            lastFallEnd = .infinity
            // A phasic episode that is only this fall's free fall is dropped by precedence.
            inPulse = false
        }
        if var f = fall {
            if m > 1.5 { fallLastHigh = t; f.peak = max(f.peak, m); fall = f }
            if t - fallLastHigh >= 0.3 {
                out.append(.end(f.end(at: fallLastHigh + dt, detectedAt: t)))
                fall = nil
                lastFallEnd = fallLastHigh + dt
            }
        }
    }

    private mutating func stepPulse(_ d: Double, out: inout [DetectorOutput]) {
        if !inPulse {
            if d > pulseLow { inPulse = true; pulseStart = t; pulseLastAbove = t; pulsePeak = d }
            return
        }
        if d > pulseLow { pulseLastAbove = t; if d > pulsePeak { pulsePeak = d } }
        guard t - pulseLastAbove >= 0.1 else { return }
        inPulse = false
        let start = pulseStart, end = pulseLastAbove + dt
        let duration = end - start
        guard pulsePeak >= phasicPeak, duration <= s.phasicMaxPulseSeconds + dt, t >= warmupUntil else { return }
        // precedence: fall > clonus > phasic
        if fall != nil || (start <= lastFallEnd + 0.5 && end >= lastFallStart - 0.3) { return }
        if clonus != nil { return }
        if let on = rhythmOnSince, on <= start - 0.3 { return }
        if var p = phasic, start - phasicLastJerkEnd < s.phasicMergeSeconds {
            p.peak = max(p.peak, pulsePeak); phasic = p
            phasicLastJerkEnd = max(phasicLastJerkEnd, end)
            return
        }
        if let p = phasic { out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: t))) }
        var p = OpenEpisode(kind: .phasic, start: start, detectedAt: t,
                            confidence: confidence(ratio: pulsePeak / phasicPeak))
        p.peak = pulsePeak
        out.append(.onset(p.onset))
        phasic = p
        phasicLastJerkEnd = end
    }

    private mutating func stepClonus(out: inout [DetectorOutput]) {
        let amp = (2 * rhythm.power).squareRoot()
        let rh = rhythm.rhythm(minLag: minLag, maxLag: min(maxLag - 1, Int((fsd / (s.clonusLowHz * 0.94)).rounded(.up))))
        let freq = fsd / rh.lag
        let rhythmic = t >= warmupUntil && amp >= clonusAmp && rh.r >= s.clonusMinRhythm && rh.halfR <= -0.2
            && freq >= s.clonusLowHz * 0.9 && freq <= s.clonusHighHz * 1.1
        #if DEBUG_TRACE
        if let w = traceWindow, t >= w.0, t <= w.1 {
            print(String(format: "trace t=%.2f amp=%.3f r=%.2f half=%.2f f=%.2f rhythmic=%d open=%d", t, amp, rh.r, rh.halfR, freq, rhythmic ? 1 : 0, clonus == nil ? 0 : 1))
        }
        #endif
        if rhythmic {
            if rhythmOnSince == nil { rhythmOnSince = t }
            rhythmLast = t
            if var c = clonus {
                c.peak = max(c.peak, amp); clonus = c
                clonusFreqSum += freq; clonusFreqN += 1
                clonusBestR = max(clonusBestR, rh.r)
            }
        } else if let since = rhythmOnSince, t - rhythmLast > 0.4 {
            _ = since
            rhythmOnSince = nil
            if let c = clonus { closeClonus(c, detectedAt: t, out: &out) }
        }
        // Onset once the rhythm has held long enough. The exponential window needs
        // ~0.4 s to register a new rhythm, so the episode starts that much earlier.
        let lead = 0.4
        if clonus == nil, let since = rhythmOnSince, t - since >= s.clonusMinSeconds - lead, rhythmic {
            let start = since - lead
            // precedence: a phasic episode that is really this clonus's beginning is ended here.
            if let p = phasic, phasicLastJerkEnd >= start {
                out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: t))); phasic = nil
            }
            var c = OpenEpisode(kind: .clonus, start: start, detectedAt: t,
                                confidence: clamp01(0.5 * rh.r + 0.5 * confidence(ratio: amp / clonusAmp)))
            c.peak = amp
            clonusFreqSum = freq; clonusFreqN = 1; clonusBestR = rh.r
            out.append(.onset(c.onset))
            clonus = c
        }
    }
}
