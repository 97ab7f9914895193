import Foundation
import SpasmSignal

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
///   The autocorrelation input is gain-controlled (divided by the recent band RMS) so a
///   past jerk cannot dominate its memory; the oscillation must also be present sample by
///   sample ("sustained"), and a weak rhythm that is a harmonic of the gait (the
///   broadband signal repeats at 2–4 × its period, at 1.3–2.6 Hz) is walking.
///   Clonus is reported after `clonusMinSeconds` of rhythm (onset dated ~0.4 s before
///   the rhythm registered).
///
/// Precedence fall > clonus > phasic: the first jerk of an episode is held until the
/// 3–8 Hz oscillation it excites has died down (usually at once; ≤ 1 s while a rhythm is
/// building), and dropped if a clonus is confirmed; jerks during a fall are ignored.
struct IMUDetector: Sendable {
    let fs: Double
    let dt: Double
    let s: DetectorSettings

    // thresholds (scaled by sensitivity)
    private let phasicPeak: Double
    private let pulseLow: Double
    private let clonusAmp: Double
    private let strongLevel2: Double

    // gravity
    private var gx = 0.0, gy = 0.0, gz = 1.0
    private var haveGravity = false
    private let alphaFast: Double, alphaSlow: Double

    // clonus band (per axis: high-pass then low-pass)
    private var hp = [Biquad<Double>](), lp = [Biquad<Double>]()
    /// Band-pass gain by frequency (index = round(f × 20)), to compare true amplitudes.
    private var bandGain: [Double] = []
    /// Band power over the last ~0.25 s: the clonus amplitude, and the gain control of the rhythm input.
    private var bandEnv: OnePole
    private let decim: Int
    private var decimCount = 0
    private var rhythm: RhythmTracker
    // wide band (> 1 Hz) rhythm, to recognise harmonics of walking
    private var wideHP = [Biquad<Double>]()
    private var wide: RhythmTracker
    private let maxLagWide: Int
    /// The wide tracker runs at `fsd / wideDecim` (~20–25 Hz): gait periods need no more.
    private let wideDecim: Int
    private let wfs: Double
    private var wideCount = 0
    // gait canceller: band signal minus itself one gait period earlier (removes every
    // harmonic of the gait, keeps a clonus that is not one), with its own rhythm tracker
    private var bandHistory: [Double]  // ring of 3 × historyLength decimated band samples
    private let historyLength: Int
    private var historyPos = 0
    private var comb: RhythmTracker
    private var combEnv: OnePole
    private let minLag: Int, maxLag: Int
    private let fsd: Double

    // time
    private(set) var t = 0.0  // time of the current sample
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
    private struct PendingJerk: Sendable { var start: Double, end: Double, peak: Double }
    private var pending: PendingJerk? = nil
    private var humpStart = -1.0, humpLongest = 0.0
    private var dynBackground = 0.0
    /// While a jerk is held: (0.3 × its peak)², and when the band last reached it.
    private var pendingLevel2 = Double.infinity
    private var pendingStrongLast = 0.0
    private let backgroundAlpha: Double
    private var low = 0.0

    // clonus
    private var rhythmOnSince: Double? = nil
    private var rhythmLast = 0.0
    private var lastRhythmHz = 5.0
    private var strongLast = 0.0
    private var clonus: OpenEpisode? = nil
    private var clonusFreqSum = 0.0, clonusFreqN = 0.0

    init(sampleRate: Double, settings: DetectorSettings) {
        fs = sampleRate
        dt = 1 / sampleRate
        s = settings
        let k = settings.amplitudeScale
        phasicPeak = settings.phasicPeakG * k
        pulseLow = 0.5 * settings.phasicPeakG * k
        backgroundAlpha = 1 - exp(-1 / (1.0 * sampleRate))
        clonusAmp = settings.clonusMinAmplitudeG * k
        strongLevel2 = (0.6 * clonusAmp) * (0.6 * clonusAmp)
        alphaFast = 1 - exp(-1 / (0.1 * fs))
        alphaSlow = 1 - exp(-1 / (3.0 * fs))
        let lo = settings.clonusLowHz
        let hi = settings.clonusHighHz
        hp = Array(repeating: .highPass(lo * 0.85, fs: fs), count: 3)
        lp = Array(repeating: .lowPass(min(hi * 1.1, 0.45 * fs), fs: fs), count: 3)
        bandEnv = OnePole(tau: 0.25, fs: fs)
        decim = max(1, Int((fs / 40).rounded(.down)))
        fsd = fs / Double(decim)
        minLag = max(2, Int((fsd / (hi * 1.06)).rounded(.down)))
        maxLag = Int((fsd / (lo * 0.94)).rounded(.up)) + 1
        rhythm = RhythmTracker(channels: 3, maxLag: maxLag, tau: 0.6, fs: fsd)
        wideHP = Array(repeating: .highPass(1.0, fs: fs), count: 3)
        wideDecim = max(1, Int((fsd / 20).rounded(.down)))
        wfs = fsd / Double(wideDecim)
        maxLagWide = Int((wfs / 1.3).rounded(.up)) + 2
        wide = RhythmTracker(channels: 3, maxLag: maxLagWide, tau: 3.0, fs: wfs)
        historyLength = maxLagWide * wideDecim + 4
        bandHistory = Array(repeating: 0, count: 3 * historyLength)
        comb = RhythmTracker(channels: 3, maxLag: maxLag, tau: 0.6, fs: fsd)
        combEnv = OnePole(tau: 0.25, fs: fsd)
        bandGain = (0...200).map { i in
            let f = Double(i) / 20
            return hp[0].gain(at: f, fs: sampleRate) * lp[0].gain(at: f, fs: sampleRate)
        }
    }

    // MARK: gaps

    /// Called when the stream jumps: close what is open at the last sample, restart transients.
    mutating func gap(lastSampleTime: Double, nextStart: Double, out: inout [DetectorOutput]) {
        closeAll(at: lastSampleTime, detectedAt: nextStart, out: &out)
        for i in 0..<3 {
            hp[i].reset()
            lp[i].reset()
            wideHP[i].reset()
        }
        rhythm.reset()
        wide.reset()
        wideCount = 0
        comb.reset()
        combEnv.y = 0
        decimCount = 0
        bandEnv.y = 0
        for i in bandHistory.indices { bandHistory[i] = 0 }
        lowStart = nil
        armedUntil = -.infinity
        inPulse = false
        rhythmOnSince = nil
        haveGravity = false
        warmupUntil = nextStart + 0.5
    }

    mutating func closeAll(at time: Double, detectedAt: Double, out: inout [DetectorOutput]) {
        if let f = fall {
            out.append(.end(f.end(at: max(f.start, time), detectedAt: detectedAt)))
            fall = nil
            lastFallEnd = time
        }
        if let p = phasic {
            out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: detectedAt)))
            phasic = nil
        }
        if let c = clonus { closeClonus(c, detectedAt: detectedAt, out: &out) }
        if let q = pending {  // the rhythm never confirmed: it was a jerk after all
            pending = nil
            pendingLevel2 = .infinity
            let p = OpenEpisode(
                kind: .phasic, start: q.start, detectedAt: detectedAt,
                confidence: confidence(ratio: q.peak / phasicPeak))
            out.append(.onset(p.onset))
            var e = p
            e.peak = q.peak
            out.append(.end(e.end(at: q.end, detectedAt: detectedAt)))
        }
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
            gx = ax
            gy = ay
            gz = az
            haveGravity = true
            warmupUntil = max(warmupUntil, t + 0.5)  // gravity and filters settle first
            for i in 0..<3 {
                let v = i == 0 ? ax : (i == 1 ? ay : az)
                hp[i].settle(at: v)
                lp[i].settle(at: 0)
                wideHP[i].settle(at: v)
            }
        }
        let m = (ax * ax + ay * ay + az * az).squareRoot()

        // --- dynamic acceleration (gravity removed)
        let dx = ax - gx
        let dy = ay - gy
        let dz = az - gz
        let d = (dx * dx + dy * dy + dz * dz).squareRoot()
        let a = (abs(m - 1) < 0.15 && d < 0.6) ? alphaFast : alphaSlow
        gx += a * dx
        gy += a * dy
        gz += a * dz

        // --- fall
        stepFall(m, out: &out)

        // --- clonus band
        let bx = lp[0].step(hp[0].step(ax))
        let by = lp[1].step(hp[1].step(ay))
        let bz = lp[2].step(hp[2].step(az))
        let wx = wideHP[0].step(ax)
        let wy = wideHP[1].step(ay)
        let wz = wideHP[2].step(az)
        let bp = bandEnv.step(bx * bx + by * by + bz * bz)
        // instantaneous band magnitude: a sustained oscillation reaches it every half period
        let b2 = bx * bx + by * by + bz * bz
        if b2 >= strongLevel2 { strongLast = t }
        if b2 >= pendingLevel2 { pendingStrongLast = t }
        decimCount += 1
        if decimCount >= decim {
            decimCount = 0
            // Gain-controlled input: the autocorrelation then describes the shape of the
            // recent signal, not the energy of a past jerk that would dominate its memory.
            let g = 1 / (bp + 4e-4).squareRoot()
            rhythm.push(bx * g, by * g, bz * g)
            wideCount += 1
            if wideCount >= wideDecim {
                wideCount = 0
                wide.push(wx, wy, wz)
            }
            pushComb(bx, by, bz)
            stepClonus(out: &out)
        }

        // --- phasic
        stepPulse(d, out: &out)
        if let p = phasic, t - phasicLastJerkEnd >= s.phasicMergeSeconds {
            out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: t)))
            phasic = nil
        }
    }

    private mutating func stepFall(_ m: Double, out: inout [DetectorOutput]) {
        let ff = s.fallFreeFallG * (2 - s.amplitudeScale)  // more sensitive → higher free-fall limit
        if m < ff {
            if lowStart == nil { lowStart = t }
            lowLast = t
        } else if let ls = lowStart {
            if lowLast - ls + dt >= s.fallFreeFallSeconds - 0.6 * dt {
                armedUntil = lowLast + s.fallImpactWithinSeconds
                armedStart = ls
            }
            lowStart = nil
        }
        let impact = s.fallImpactG * s.amplitudeScale
        if m > impact, t <= armedUntil, fall == nil, t >= warmupUntil {
            armedUntil = -.infinity
            var f = OpenEpisode(
                kind: .fall, start: armedStart, detectedAt: t,
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
            if m > 1.5 {
                fallLastHigh = t
                f.peak = max(f.peak, m)
                fall = f
            }
            if t - fallLastHigh >= 0.3 {
                out.append(.end(f.end(at: fallLastHigh + dt, detectedAt: t)))
                fall = nil
                lastFallEnd = fallLastHigh + dt
            }
        }
    }

    private mutating func stepPulse(_ d: Double, out: inout [DetectorOutput]) {
        if !inPulse {
            // The pulse floor rises above the background movement (walking) so that a
            // jerk during walking still ends as a short pulse.
            dynBackground += backgroundAlpha * (d - dynBackground)
            low = max(pulseLow, 1.8 * dynBackground)
            if d > low {
                inPulse = true
                pulseStart = t
                pulseLastAbove = t
                pulsePeak = d
                humpStart = t
                humpLongest = dt
            }
            return
        }
        if d > low {
            pulseLastAbove = t
            if d > pulsePeak { pulsePeak = d }
            if humpStart < 0 { humpStart = t }
            humpLongest = max(humpLongest, t - humpStart + dt)
        } else {
            humpStart = -1
        }
        guard t - pulseLastAbove >= 0.1 else { return }
        inPulse = false
        let start = pulseStart
        let end = pulseLastAbove + dt
        // Several jerks in a row form one pulse group; each of its humps must be short.
        guard pulsePeak >= phasicPeak, humpLongest <= s.phasicMaxPulseSeconds + dt, t >= warmupUntil else { return }
        // precedence: fall > clonus > phasic
        if fall != nil || (start <= lastFallEnd + 0.5 && end >= lastFallStart - 0.3) { return }
        if clonus != nil { return }
        if let on = rhythmOnSince, on <= start - 0.3 { return }
        if phasic == nil {
            // The first jerk of an episode may be the first beat of a clonus: it is held
            // until the 3–8 Hz oscillation has died down without a rhythm (usually at
            // once), or dropped when a clonus is confirmed.
            if let q = pending, start - q.end >= s.phasicMergeSeconds {
                // an earlier held jerk that stands alone: report it (already over)
                openPhasic(start: q.start, end: q.end, peak: q.peak, out: &out)
                if let p = phasic {
                    out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: t)))
                    phasic = nil
                }
                pending = nil
            }
            if var q = pending {
                q.end = end
                q.peak = max(q.peak, pulsePeak)
                pending = q
            } else {
                pending = PendingJerk(start: start, end: end, peak: pulsePeak)
            }
            pendingLevel2 = pow(0.3 * (pending?.peak ?? 0), 2)
            pendingStrongLast = t
            return
        }
        if var p = phasic, start - phasicLastJerkEnd < s.phasicMergeSeconds {
            p.peak = max(p.peak, pulsePeak)
            phasic = p
            phasicLastJerkEnd = max(phasicLastJerkEnd, end)
            return
        }
        openPhasic(start: start, end: end, peak: pulsePeak, out: &out)
    }

    private mutating func openPhasic(start: Double, end: Double, peak: Double, out: inout [DetectorOutput]) {
        if let p = phasic { out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: t))) }
        var p = OpenEpisode(
            kind: .phasic, start: start, detectedAt: t,
            confidence: confidence(ratio: peak / phasicPeak))
        p.peak = peak
        out.append(.onset(p.onset))
        phasic = p
        phasicLastJerkEnd = end
    }

    /// The gait period (in decimated samples, at `fsd`) when the broadband signal clearly
    /// repeats at a walking cadence (1.3–2.6 Hz), else nil.
    private func gaitLag() -> Double? {
        let lo = max(2, Int((wfs / 2.6).rounded(.down)))
        let hi = min(maxLagWide - 2, Int((wfs / 1.3).rounded(.up)))
        guard lo < hi else { return nil }
        var best = lo
        var bestR = wide.r(lo)
        for L in lo...hi {
            let v = wide.r(L)
            if v > bestR {
                bestR = v
                best = L
            }
        }
        guard bestR >= 0.5, best > lo, best < hi else { return nil }
        let ym = wide.r(best - 1)
        let yp = wide.r(best + 1)
        let den = ym - 2 * bestR + yp
        let lagW = den < 0 ? Double(best) + max(-0.5, min(0.5, 0.5 * (ym - yp) / den)) : Double(best)
        return lagW * Double(wideDecim)
    }

    private var currentGaitLag: Double? = nil
    private var gaitCountdown = 0

    private mutating func pushComb(_ bx: Double, _ by: Double, _ bz: Double) {
        let n = historyLength
        bandHistory.withUnsafeMutableBufferPointer { h in
            h[3 * historyPos] = bx
            h[3 * historyPos + 1] = by
            h[3 * historyPos + 2] = bz
        }
        // the gait period changes slowly: re-estimate it 10 times a second
        gaitCountdown -= 1
        if gaitCountdown <= 0 {
            gaitCountdown = max(1, Int(fsd / 10))
            let was = currentGaitLag
            currentGaitLag = gaitLag()
            if was == nil && currentGaitLag != nil {
                comb.reset()
                combEnv.y = 0
            }
        }
        var cx = bx
        var cy = by
        var cz = bz
        if let T = currentGaitLag {
            let i0 = Int(T.rounded(.down))
            let f = T - Double(i0)
            var j0 = historyPos - i0
            if j0 < 0 { j0 += n }
            var j1 = j0 - 1
            if j1 < 0 { j1 += n }
            bandHistory.withUnsafeBufferPointer { h in
                cx -= h[3 * j0] * (1 - f) + h[3 * j1] * f
                cy -= h[3 * j0 + 1] * (1 - f) + h[3 * j1 + 1] * f
                cz -= h[3 * j0 + 2] * (1 - f) + h[3 * j1 + 2] * f
            }
        }
        historyPos = historyPos + 1 == n ? 0 : historyPos + 1
        guard currentGaitLag != nil else { return }  // the canceller only matters while walking
        let p = combEnv.step(cx * cx + cy * cy + cz * cz)
        let g = 1 / (p + 4e-4).squareRoot()
        comb.push(cx * g, cy * g, cz * g)
    }

    /// True when the broadband signal repeats much better at 2, 3 or 4 times the candidate
    /// period, at a walking cadence (1.3–2.6 Hz): the 3–8 Hz content is then a harmonic of
    /// the gait, not a clonus.
    private func isWalkingHarmonic(lag: Double) -> Bool {
        let lagW = lag / Double(wideDecim)
        let here = wide.r(at: lagW)
        for k in 2...4 {
            let lk = lagW * Double(k)
            guard lk < Double(maxLagWide - 1) else { break }
            let fw = wfs / lk
            guard fw >= 1.3 && fw <= 2.6 else { continue }
            let sub = wide.r(at: lk)
            if sub > 0.6 && sub - here > 0.5 { return true }
        }
        return false
    }

    /// While walking, a clonus a little off a gait harmonic (4.25 Hz at a 2 Hz gait) drifts
    /// through the gait canceller's nulls, and the gait's own harmonics hide it from the
    /// plain test: for up to 2 s after it was last seen, before its onset, a rhythm whose
    /// frequency the canceller passes at less than 0.9 is unseen rather than over.
    private func cancellerBlind() -> Bool {
        guard clonus == nil, t - rhythmLast <= 2.0, let T = currentGaitLag else { return false }
        return abs(2 * sin(Double.pi * lastRhythmHz * T / fsd)) < 0.9
    }

    private mutating func stepClonus(out: inout [DetectorOutput]) {
        let amp = (2 * bandEnv.y).squareRoot()
        // hysteresis: a rhythm already under way needs less correlation to continue
        let rh = rhythm.rhythm(minLag: minLag, maxLag: maxLag, minR: rhythmOnSince == nil ? s.clonusMinRhythm : 0.7 * s.clonusMinRhythm)
        let freq = fsd / rh.lag
        let gi = max(0, min(bandGain.count - 1, Int((freq * 20).rounded())))
        let trueAmp = amp / max(0.5, bandGain[gi])
        // sustained: the oscillation itself (not only the windowed statistics) is still there
        let sustained = t - strongLast <= 0.35
        if !sustained, clonus == nil { rhythmOnSince = nil }
        var rhythmic =
            t >= warmupUntil && sustained && trueAmp >= clonusAmp && rh.ok
            && freq >= s.clonusLowHz * 0.9 && freq <= s.clonusHighHz * 1.1
        // Gait harmonics stay weak (walking is ≤ 0.5 g in all); a stronger rhythm locked to
        // the gait is still a clonus.
        if rhythmic && trueAmp < s.walkingHarmonicMaxG && isWalkingHarmonic(lag: rh.lag) { rhythmic = false }
        var freqUsed = freq
        var rUsed = rh.r
        // While walking: the same test on the gait-cancelled signal finds a clonus that the
        // gait's own harmonics mask (unless the clonus is itself locked to the gait).
        if !rhythmic, t >= warmupUntil, sustained, let T = currentGaitLag {
            let rc = comb.rhythm(minLag: minLag, maxLag: maxLag, minR: rhythmOnSince == nil ? s.clonusMinRhythm : 0.7 * s.clonusMinRhythm)
            let fc = fsd / rc.lag
            let gi = max(0, min(bandGain.count - 1, Int((fc * 20).rounded())))
            // a rhythm at (or near) a gait harmonic is only the canceller's residue
            let combGain = abs(2 * sin(Double.pi * fc * T / fsd))
            let combAmp = (2 * combEnv.y).squareRoot() / max(0.5, bandGain[gi] * combGain)
            // A rhythm already under way may continue where the canceller passes on less of
            // it (gain ≥ 0.5, the amplitude is corrected for it) and at 0.7 × the amplitude,
            // as it needs only 0.7 × the correlation.
            let going = rhythmOnSince != nil
            if rc.ok && combGain >= (going ? 0.5 : 0.9) && combAmp >= clonusAmp * (going ? 0.7 : 1)
                && fc >= s.clonusLowHz * 0.9 && fc <= s.clonusHighHz * 1.1
            {
                rhythmic = true
                freqUsed = fc
                rUsed = rc.r
            }
        }
        if rhythmic {
            if rhythmOnSince == nil { rhythmOnSince = t }
            rhythmLast = t
            lastRhythmHz = freqUsed
            if var c = clonus {
                c.peak = max(c.peak, amp)
                clonus = c
                clonusFreqSum += freqUsed
                clonusFreqN += 1
            }
        } else if rhythmOnSince != nil, t - rhythmLast > 0.4, !cancellerBlind() {
            rhythmOnSince = nil
            if let c = clonus { closeClonus(c, detectedAt: t, out: &out) }
        }
        if let q = pending, clonus == nil,
            (rhythmOnSince == nil && (t - pendingStrongLast >= 0.1 || t - q.end >= 1.0)) || t - q.end > 3
        {
            pending = nil
            pendingLevel2 = .infinity
            if clonus == nil { openPhasic(start: q.start, end: q.end, peak: q.peak, out: &out) }
        }
        // Onset once the rhythm has held long enough. The exponential window needs
        // ~0.4 s to register a new rhythm, so the episode starts that much earlier.
        let lead = 0.4
        if clonus == nil, let since = rhythmOnSince, t - since >= s.clonusMinSeconds - lead, rhythmic {
            let start = since - lead
            // precedence: a phasic episode that is really this clonus's beginning is ended here.
            if let p = phasic, phasicLastJerkEnd >= start {
                out.append(.end(p.end(at: phasicLastJerkEnd, detectedAt: t)))
                phasic = nil
            }
            pending = nil
            pendingLevel2 = .infinity
            var c = OpenEpisode(
                kind: .clonus, start: start, detectedAt: t,
                confidence: clamp01(0.5 * rUsed + 0.5 * confidence(ratio: trueAmp / clonusAmp)))
            c.peak = amp
            clonusFreqSum = freqUsed
            clonusFreqN = 1
            out.append(.onset(c.onset))
            clonus = c
        }
    }
}
