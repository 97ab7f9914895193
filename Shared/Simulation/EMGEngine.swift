import Foundation

/// Surface-EMG model: band-limited (20–420 Hz Butterworth) Gaussian noise whose RMS is
/// `floor(t) × (1 + activation(t))`, plus 50 Hz mains hum and low-frequency motion artefacts.
///
/// - The floor (default ≈ 6 µV RMS × noise level) drifts slowly (periods of minutes).
/// - Hum amplitude ≤ 3 × floor, level changing every 30–300 s.
/// - Voluntary contractions: 0.15–0.8 s, peak 5–50 × quiet RMS, ≥ 1.2 s apart (also from artefacts).
/// - Motion artefacts: one Hann-windowed cycle at 1–5 Hz (energy < 10 Hz), 3–40 × quiet RMS, 0.2–1 s.
/// - Tonic events: plateau 7–30 × the *quiet* RMS (floor and hum together), 2.5–40 s.
/// - Clonus events: bursts at 3–8 Hz (4–7 Hz on leg sites), duty 30–50 %, 8–30 × quiet RMS, 2.6–25 s.
/// Quiet RMS = sqrt(floor² + hum²/2); confounders never keep ≥ 5 × quiet RMS for ≥ 2 s.
struct EMGEngine: Sendable {
    let rate: Double
    let dt: Double
    let floor0: Float
    let mix: ConfounderMix
    let placement: SimulatedPlacement
    var rng: SimRandom
    var planner: EventPlanner
    var index: Int64 = 0

    // Band-limited (20–420 Hz) unit-RMS noise source.
    var band: EMGBandFilter

    // Slow state, refreshed every `slowStep` samples.
    let slowStep: Int64 = 32
    var floorRMS: Float
    var humAmp: Float = 0
    var humFrom: Float = 0, humTo: Float = 0
    var humSegStart: Int64 = 0, humSegEnd: Int64 = 0
    let driftAmt: Double
    let driftP1: Double, driftP2: Double, driftPh1: Double, driftPh2: Double
    var quietRMS: Float
    var gCache: (Float, Float, Float, Float) = (0, 0, 0, 0)
    var gIndex = 4
    // 50 Hz phasor.
    var hc: Float = 1, hs: Float = 0
    let hcInc: Float, hsInc: Float

    // Voluntary contraction.
    var nextContraction: Int64 = .max
    var conStart: Int64 = 0, conEnd: Int64 = 0, conPeak: Float = 0
    // Motion artefact.
    var nextArtefact: Int64 = .max
    var artStart: Int64 = 0, artEnd: Int64 = 0, artAmp: Float = 0

    // Event.
    var eventKind: EpisodeKind? = nil
    var evStart: Int64 = 0, evEnd: Int64 = 0
    var evLevel: Float = 0, evRamp: Int64 = 1
    var burstPhase: Float = 0, burstInc: Float = 0, burstDuty: Float = 0.4, burstGain: Float = 1, burstBase: Float = 0

    // Test-only ground truth per sample (off by default).
    var truthLog = TruthLog()
    var truthEnabled = false

    init(scenario: SimulationScenario, rate: Double, rng: SimRandom, limitIndex: Int64) {
        var r = rng
        self.rate = rate
        dt = 1 / rate
        mix = scenario.confounders
        placement = scenario.placement
        let level = min(max(scenario.noiseLevel, 0.2), 4)
        floor0 = Float(0.006 * level * r.uniform(0.6...1.5))
        floorRMS = floor0
        quietRMS = floor0
        driftAmt = min(max(mix.drift, 0), 0.6)
        driftP1 = r.uniform(120...600)
        driftP2 = r.uniform(600...2400)
        driftPh1 = r.uniform(0...6.28)
        driftPh2 = r.uniform(0...6.28)
        band = EMGBandFilter(rate: rate)
        let w = 2 * Double.pi * 50 / rate
        hcInc = Float(cos(w))
        hsInc = Float(sin(w))
        planner = EventPlanner(
            rate: rate, rates: scenario.eventsPerHour, allowed: [.clonus, .tonic],
            warmup: max(scenario.warmupSeconds, 0), limitIndex: limitIndex, rng: r.fork())
        self.rng = r.fork()
        let start = Int64(max(scenario.warmupSeconds, 0) * rate)
        nextContraction = scheduleAfter(start, perHour: mix.contractionsPerHour)
        nextArtefact = scheduleAfter(start, perHour: mix.artefactsPerHour)
        updateSlow(at: 0)
    }

    private mutating func scheduleAfter(_ i: Int64, perHour: Double) -> Int64 {
        guard perHour > 0 else { return .max }
        return i + Int64(rng.exponential(mean: 3600 / perHour) * rate)
    }

    /// Drift, hum level and the quiet RMS, every `slowStep` samples.
    private mutating func updateSlow(at i: Int64) {
        let t = Double(i) * dt
        let d = 0.6 * sin(2 * .pi * t / driftP1 + driftPh1) + 0.4 * sin(2 * .pi * t / driftP2 + driftPh2)
        floorRMS = floor0 * Float(exp(driftAmt * d))
        if i >= humSegEnd {
            humFrom = humTo
            humTo = Float(min(max(mix.humLevel, 0), 3) * rng.uniform(0.2...1.0))
            humSegStart = i
            humSegEnd = i + Int64(rng.uniform(30...300) * rate)
        }
        let u = min(1, Float(i - humSegStart) / Float(5 * rate))  // 5 s cross-fade
        humAmp = (humFrom + (humTo - humFrom) * u) * floorRMS
        quietRMS = (floorRMS * floorRMS + humAmp * humAmp / 2).squareRoot()
        // Re-normalise the hum phasor.
        let m = 1 / (hc * hc + hs * hs).squareRoot()
        hc *= m
        hs *= m
    }

    private mutating func startEvent(at i: Int64, events: inout [TruthEvent]) -> Bool {
        let kind = planner.pickKind()
        switch kind {
        case .tonic:
            let dur = min(2.5 + rng.exponential(mean: 10), 40)
            guard planner.fits(index: i, seconds: dur) else { return false }
            evStart = i
            evEnd = i + Int64(dur * rate)
            evLevel = Float(rng.uniform(7...30))
            evRamp = max(Int64(rng.uniform(0.15...0.4) * rate), 1)
        case .clonus:
            let dur = min(2.6 + rng.exponential(mean: 7), 25)
            guard planner.fits(index: i, seconds: dur) else { return false }
            evStart = i
            evEnd = i + Int64(dur * rate)
            let f = placement.isLeg ? rng.uniform(4...7) : rng.uniform(3...8)
            burstInc = Float(f / rate)
            burstPhase = 0
            burstDuty = Float(rng.uniform(0.3...0.5))
            evLevel = Float(rng.uniform(8...30))
            burstGain = 1
            burstBase = Float(rng.uniform(0...1.5))
            evRamp = 1
        default:
            return false
        }
        eventKind = kind
        events.append(TruthEvent(start: Double(i) * dt, end: Double(evEnd) * dt, kind: kind))
        return true
    }

    mutating func generate(into out: UnsafeMutablePointer<Float>, count: Int, events: inout [TruthEvent]) {
        var o = out
        // The Gaussian cache lives in the state, so chunk boundaries never change the stream.
        var (g0, g1, g2, g3) = gCache
        var gi = gIndex
        defer {
            gCache = (g0, g1, g2, g3)
            gIndex = gi
        }
        let guardLen = Int64(2.5 * rate)
        let sepLen = Int64(1.2 * rate)
        for _ in 0..<count {
            let i = index
            if i % slowStep == 0 { updateSlow(at: i) }
            if eventKind == nil, i >= planner.nextIndex, i >= conEnd, i >= artEnd {
                if !startEvent(at: i, events: &events) { planner.schedule(after: i) }
            }
            // Confounders stay ≥ 2.5 s away from events.
            if i >= nextContraction {
                if i < artEnd + sepLen {
                    nextContraction = artEnd + sepLen  // never merge with an artefact
                } else if eventKind == nil && planner.nextIndex - i > guardLen && i - evEnd > guardLen {
                    conStart = i
                    let len = Int64(rng.uniform(0.15...0.8) * rate)
                    conEnd = i + len
                    conPeak = Float(rng.uniform(4...50))
                    nextContraction = max(scheduleAfter(i, perHour: mix.contractionsPerHour), conEnd + Int64(1.2 * rate))
                } else {
                    nextContraction = max(i, evEnd) + guardLen
                }
            }
            if i >= nextArtefact {
                if i < conEnd + sepLen {
                    nextArtefact = conEnd + sepLen  // never merge with a contraction
                } else if eventKind == nil && planner.nextIndex - i > guardLen && i - evEnd > guardLen {
                    let f = rng.uniform(1...5)
                    artStart = i
                    artEnd = i + max(Int64(rate / f), 2)
                    artAmp = Float(rng.uniform(3...40)) * (rng.uniform() < 0.5 ? -1 : 1)
                    nextArtefact = max(scheduleAfter(i, perHour: mix.artefactsPerHour), artEnd + Int64(0.5 * rate))
                } else {
                    nextArtefact = max(i, evEnd) + guardLen
                }
            }

            // Activation (in units of quiet RMS, added to the floor's 1).
            var act: Float = 0
            if i < conEnd {
                let tau = Float(i - conStart) / Float(conEnd - conStart)
                let s = _sin(.pi * tau)
                act = conPeak * s * s
            }
            if let kind = eventKind {
                if kind == .tonic {
                    let d = i - evStart
                    let rem = evEnd - i
                    let env = min(1, Float(min(d, rem)) / Float(evRamp))
                    act = evLevel * env * (1 + 0.15 * _sin(Float(Double(d) * dt) * 2 * .pi * 0.23))
                } else {
                    burstPhase += burstInc
                    if burstPhase >= 1 {
                        burstPhase -= 1
                        burstGain = Float(rng.uniform(0.75...1.25))
                    }
                    var b: Float = 0
                    if burstPhase < burstDuty {
                        let s = _sin(.pi * burstPhase / burstDuty)
                        b = s * s
                    }
                    act = burstBase + evLevel * burstGain * b
                }
                if i + 1 >= evEnd {
                    eventKind = nil
                    planner.schedule(after: evEnd, spacing: EventPlanner.minSpacing)
                }
            }

            if gi == 4 {
                (g0, g1, g2, g3) = rng.gaussian4()
                gi = 0
            }
            let x: Float
            switch gi {
            case 0: x = g0
            case 1: x = g1
            case 2: x = g2
            default: x = g3
            }
            gi += 1
            let noise = band.process(x)

            // Hum phasor rotation.
            let nc = hc * hcInc - hs * hsInc
            hs = hs * hcInc + hc * hsInc
            hc = nc

            if truthEnabled {
                // Activation RMS as a multiple of the quiet RMS (floor and hum together).
                truthLog.dynamic.append((floorRMS + act * quietRMS) / quietRMS)
                truthLog.activity.append(eventKind.map { TruthLog.code($0) } ?? (i < conEnd ? 20 : (i < artEnd ? 21 : 0)))
                truthLog.omega.append(0)
            }
            var v = noise * (floorRMS + act * quietRMS) + humAmp * hs
            if i < artEnd {
                let tau = Float(i - artStart) / Float(artEnd - artStart)
                let w = 0.5 - 0.5 * _cos(2 * .pi * tau)
                v += artAmp * quietRMS * w * _sin(2 * .pi * tau)
            }
            o.pointee = v
            o += 1
            index += 1
        }
    }
}
