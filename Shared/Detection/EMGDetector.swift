import Foundation
import SpasmSignal

/// Causal EMG detector: tonic activation and clonus bursting from one channel (mV).
///
/// Full rate (O(1) per sample): high-pass (motion artefacts < 10 Hz, drift), notches at
/// the mains frequency and its second harmonic, squared, one-pole smoothed (τ 10 ms).
/// Then decimated to ~100 Hz:
/// - **baseline**: an adaptive quiet-level RMS that follows the noise floor down quickly,
///   up slowly, and freezes while the muscle is active (robust to drift and to activity);
/// - **tonic**: the 100 ms RMS envelope above `tonicBaselineMultiple` × baseline for
///   `tonicMinSeconds` (dips shorter than 0.15 s bridged); voluntary contractions
///   (≤ 0.8 s) never last long enough;
/// - **clonus**: the envelope's 3–8 Hz modulation (gain-controlled), through the same
///   autocorrelation rhythm test as the IMU, with a modulation depth above
///   `emgClonusMinModulation` × baseline; clonus takes precedence over tonic (a tonic
///   decision waits while a rhythm is building, and an open tonic ends when a clonus is confirmed).
struct EMGDetector: Sendable {
    let fs: Double
    let dt: Double
    let s: DetectorSettings

    private var hp: Biquad<Double>, notch1: Biquad<Double>, notch2: Biquad<Double>
    private let useNotch2: Bool
    private var fastPower: OnePole
    private let decim: Int
    private var decimCount = 0
    private let fsd: Double

    // decimated domain
    private var slowPower: OnePole
    private var envHP: Biquad<Double>
    private var modEnv: OnePole
    private var modStrongLast = 0.0
    private var rhythm: RhythmTracker
    private let minLag: Int, maxLag: Int
    private var baseline = 0.0
    private var baselineN = 0.0
    private let aDown: Double, aUp: Double, aActive: Double
    private var streamStart = 0.0
    private var warmupUntil = 0.0
    private var started = false

    private(set) var t = 0.0

    // activity
    private let kOn: Double, kOff: Double
    private var activeStart: Double? = nil
    private var activeLast = 0.0
    private var activePeak = 0.0
    private var activeSum = 0.0, activeN = 0.0
    private var tonic: OpenEpisode? = nil

    // clonus
    private var rhythmOnSince: Double? = nil
    private var rhythmLast = 0.0
    private var clonus: OpenEpisode? = nil
    private var clonusFreqSum = 0.0, clonusFreqN = 0.0

    init(sampleRate: Double, settings: DetectorSettings) {
        fs = sampleRate
        dt = 1 / sampleRate
        s = settings
        hp = .highPass(settings.emgHighPassHz, fs: fs)
        notch1 = .notch(settings.mainsHz, fs: fs, q: 15)
        useNotch2 = 2 * settings.mainsHz < 0.45 * fs
        notch2 = .notch(2 * settings.mainsHz, fs: fs, q: 15)
        fastPower = OnePole(tau: 0.01, fs: fs)
        decim = max(1, Int((fs / 100).rounded(.down)))
        fsd = fs / Double(decim)
        slowPower = OnePole(tau: 0.1, fs: fsd)
        envHP = .highPass(1.5, fs: fsd)
        modEnv = OnePole(tau: 0.25, fs: fsd)
        minLag = max(2, Int((fsd / (settings.clonusHighHz * 1.06)).rounded(.down)))
        maxLag = Int((fsd / (settings.clonusLowHz * 0.94)).rounded(.up)) + 1
        rhythm = RhythmTracker(channels: 1, maxLag: maxLag, tau: 0.6, fs: fsd)
        aDown = 1 - exp(-1 / (2 * fsd))
        aUp = 1 - exp(-1 / (10 * fsd))
        aActive = 1 - exp(-1 / (120 * fsd))
        let k = settings.tonicBaselineMultiple * settings.amplitudeScale
        kOn = k
        kOff = 0.6 * k
    }

    mutating func gap(lastSampleTime: Double, nextStart: Double, out: inout [DetectorOutput]) {
        closeAll(at: lastSampleTime, detectedAt: nextStart, out: &out)
        hp.reset()
        notch1.reset()
        notch2.reset()
        envHP.reset()
        rhythm.reset()
        modEnv.y = 0
        decimCount = 0
        started = false
        warmupUntil = nextStart + 0.6
    }

    mutating func closeAll(at time: Double, detectedAt: Double, out: inout [DetectorOutput]) {
        if let c = clonus { closeClonus(c, end: min(time, rhythmLast, modStrongLast), detectedAt: detectedAt, out: &out) }
        if let tn = tonic {
            out.append(.end(tn.end(at: min(time, activeLast), detectedAt: detectedAt)))
            tonic = nil
        }
        activeStart = nil
        rhythmOnSince = nil
    }

    private mutating func closeClonus(_ c: OpenEpisode, end: Double, detectedAt: Double, out: inout [DetectorOutput]) {
        var c = c
        c.dominantFrequencyHz = clonusFreqN > 0 ? clonusFreqSum / clonusFreqN : nil
        out.append(.end(c.end(at: end, detectedAt: detectedAt)))
        clonus = nil
    }

    @inline(__always)
    mutating func step(_ x: Double, time: Double, out: inout [DetectorOutput]) {
        if !started {
            started = true
            hp.settle(at: x)
            fastPower.y = 0
            if warmupUntil <= time { warmupUntil = time + 0.6 }
            streamStart = time
        }
        var y = hp.step(x)
        y = notch1.step(y)
        if useNotch2 { y = notch2.step(y) }
        let p = fastPower.step(y * y)
        decimCount += 1
        if decimCount >= decim {
            decimCount = 0
            t = time
            stepDecimated(p, out: &out)
        }
    }

    private mutating func stepDecimated(_ p: Double, out: inout [DetectorOutput]) {
        let envFast = p.squareRoot()
        let envSlow = slowPower.step(p).squareRoot()

        // baseline (quiet RMS)
        if t < streamStart + 0.4 && baselineN < 1e9 {
            // initial estimate: running mean until the warm-up ends
            if t > streamStart + 0.1 {
                baselineN += 1
                baseline += (envSlow - baseline) / baselineN
            }
            if t >= warmupUntil - 0.25 { baselineN = 1e9 }
        } else {
            baselineN = 1e9
            if envSlow < 0.8 * baseline {
                baseline += aDown * (envSlow - baseline)
            } else if envSlow < 2 * baseline {
                baseline += aUp * (envSlow - baseline)
            }
            // Activity that never ends (> 5 min) is more likely a new noise floor (electrode
            // moved) than a spasm: only then does the baseline slowly follow it.
            else if let a = activeStart, t - a > 300 {
                baseline += aActive * (envSlow - baseline)
            }
        }
        let b = max(baseline, 1e-9)

        // rhythm of the envelope
        let mod = envHP.step(envFast)
        let modPower = modEnv.step(mod * mod)
        // gain-controlled input (see IMUDetector): a past voluntary contraction must not
        // dominate the autocorrelation's memory
        rhythm.push(mod / (modPower + 0.25 * b * b).squareRoot())
        let minMod = s.emgClonusMinModulation * s.amplitudeScale * b
        if abs(mod) >= 0.6 * minMod { modStrongLast = t }
        let ready = t >= warmupUntil
        guard ready else { return }

        let modAmp = (2 * modPower).squareRoot()
        let sustained = t - modStrongLast <= 0.35
        if !sustained, clonus == nil { rhythmOnSince = nil }
        let rh = rhythm.rhythm(minLag: minLag, maxLag: maxLag, minR: s.clonusMinRhythm)
        let freq = fsd / rh.lag
        let rhythmic =
            sustained && modAmp >= minMod && rh.ok
            && freq >= s.clonusLowHz * 0.9 && freq <= s.clonusHighHz * 1.1
        if rhythmic {
            if rhythmOnSince == nil { rhythmOnSince = t }
            rhythmLast = t
            if clonus != nil {
                clonusFreqSum += freq
                clonusFreqN += 1
            }
        } else if rhythmOnSince != nil, t - rhythmLast > 0.4 {
            rhythmOnSince = nil
            if let c = clonus {
                closeClonus(c, end: min(rhythmLast, modStrongLast), detectedAt: t, out: &out)
                // activity that goes on after the clonus is judged afresh
                if activeStart != nil {
                    activeStart = t
                    activePeak = 0
                }
            }
        }
        if var c = clonus {
            c.peak = max(c.peak, envSlow)
            clonus = c
        }
        let lead = 0.4
        if clonus == nil, let since = rhythmOnSince, rhythmic, t - since >= s.clonusMinSeconds - lead {
            let start = since - lead
            if let tn = tonic {  // precedence clonus > tonic
                out.append(.end(tn.end(at: max(tn.start, min(activeLast, start)), detectedAt: t)))
                tonic = nil
            }
            var c = OpenEpisode(
                kind: .clonus, start: start, detectedAt: t,
                confidence: clamp01(0.5 * rh.r + 0.5 * confidence(ratio: modAmp / (s.emgClonusMinModulation * b))))
            c.peak = envSlow
            clonusFreqSum = freq
            clonusFreqN = 1
            out.append(.onset(c.onset))
            clonus = c
        }

        // activity (tonic)
        if envSlow >= kOn * b {
            if activeStart == nil {
                activeStart = t - 0.05
                activePeak = 0
                activeSum = 0
                activeN = 0
            }
            activeLast = t
        }
        if let a = activeStart {
            if envSlow >= kOff * b {
                activeLast = t
                activePeak = max(activePeak, envSlow)
                activeSum += envSlow / b
                activeN += 1
            }
            if t - activeLast > 0.15 {
                activeStart = nil
                if let tn = tonic {
                    out.append(.end(tn.end(at: activeLast, detectedAt: t)))
                    tonic = nil
                }
            } else if tonic == nil, clonus == nil, rhythmOnSince == nil, t - a >= s.tonicMinSeconds - 0.05 {
                let ratio = activeN > 0 ? activeSum / activeN / kOn : 1
                var tn = OpenEpisode(kind: .tonic, start: a, detectedAt: t, confidence: confidence(ratio: ratio))
                tn.peak = activePeak
                out.append(.onset(tn.onset))
                tonic = tn
            } else if var tn = tonic {
                tn.peak = max(tn.peak, envSlow)
                tonic = tn
            }
        }
    }
}
