import Foundation

/// Accelerometer model: a slowly drifting limb orientation (gravity in the sensor frame),
/// a sequence of activity bouts (rest, walking, gestures, setting the limb down, vibration),
/// white sensor noise, and injected events overlaid on the current activity.
///
/// Amplitude caps (so confounders never meet a BRIEF §2 definition):
/// walking dynamic ≤ 0.45 g with the 3–8 Hz harmonics together < 0.15 g; gesture rotation
/// ≤ 2.5 rad/s with ≤ 0.5 g linear acceleration; set-down ≤ 0.65 g; vibration 10–15 Hz ≤ 0.35 g.
/// Events: phasic jerks peak 1.4–3.5 g (sampled ≥ 1.2 g), 0.12–0.45 s each, < 1 s apart,
/// directed ≥ 60° away from gravity so |a| never drops below 0.85 g; clonus 3–8 Hz,
/// 0.3–0.8 g for 2.6–30 s; falls drop |a| below 0.5 g for 0.15–0.5 s then hit 3–6 g at once.
struct IMUEngine: Sendable {
    enum Activity: Sendable { case rest, walk, gesture, setDown, vibration }

    let rate: Double
    let dt: Float
    let noiseSD: Float
    let scale: Float
    let placement: SimulatedPlacement
    let mix: ConfounderMix
    var rng: SimRandom
    var planner: EventPlanner
    var index: Int64 = 0

    // Orientation: `up` is the unit specific-force direction at rest, in the sensor frame.
    var up: Vec3
    var driftOmega = Vec3.zero
    var nextDriftUpdate: Int64 = 0

    // Current activity bout.
    var activity: Activity = .rest
    var actStart: Int64 = 0
    var actEnd: Int64 = 0
    var phase: Float = 0, phaseInc: Float = 0  // walking / vibration phase (rad)
    var amp1: Float = 0, amp2: Float = 0, amp3: Float = 0
    var dir1 = Vec3.zero, dir2 = Vec3.zero, dir3 = Vec3.zero
    var p2: Float = 0, p3: Float = 0
    var axis = Vec3.zero  // rotation axis (gesture, swing, set-down)
    var omegaMax: Float = 0, invLen: Float = 0

    // Current event.
    var eventKind: EpisodeKind? = nil
    var evStart: Int64 = 0
    var evEnd: Int64 = 0  // end of the label
    var evBusyUntil: Int64 = 0  // end of the event's aftermath (no new event/confounder before)
    var jerkStarts: [Int64] = []  // phasic: per jerk start/len/peak/dir (≤ 3, allocated per event)
    var jerkLens: [Int64] = []
    var jerkPeaks: [Float] = []
    var jerkDirs: [Vec3] = []
    var evPhase: Float = 0, evPhaseInc: Float = 0, evAmp: Float = 0, evDir = Vec3.zero
    var evRamp: Int64 = 1
    var fallImpactStart: Int64 = 0, fallImpactLen: Int64 = 1, fallResidual: Float = 0.1
    var fallPeak: Float = 3, fallAxis = Vec3.zero, fallOmega: Float = 0

    // Test-only ground truth per sample (off by default; see `SignalSimulator.enableTruthLog`).
    var truthLog = TruthLog()
    var truthEnabled = false

    init(scenario: SimulationScenario, rate: Double, rng: SimRandom, limitIndex: Int64) {
        var r = rng
        self.rate = rate
        dt = Float(1 / rate)
        placement = scenario.placement
        mix = scenario.confounders
        scale = Float(min(max(scenario.amplitudeScale, 0.3), 2))
        // Typical MEMS noise ≈ 0.006–0.045 g per axis (dev set 0.008–0.045 g).
        let level = min(max(scenario.noiseLevel, 0.2), 4)
        noiseSD = Float(0.012 * level * r.uniform(0.7...1.3))
        planner = EventPlanner(
            rate: rate, rates: scenario.eventsPerHour, allowed: [.phasic, .clonus, .fall],
            warmup: max(scenario.warmupSeconds, 0), limitIndex: limitIndex, rng: r.fork())
        // Resting orientation: wrist roughly palm-down, leg sensors roughly vertical axis.
        let base = placement.isLeg ? Vec3(0.1, -0.95, 0.2) : Vec3(0.3, 0.2, 0.9)
        up = (base + r.unitVector() * 0.4).normalized
        self.rng = r.fork()
        actEnd = Int64(max(scenario.warmupSeconds, 1) * rate)
    }

    // MARK: - Activity scheduling

    private mutating func startActivity(at i: Int64) {
        let inEventSoon = i < evBusyUntil || (planner.nextIndex != .max && planner.nextIndex - i < Int64(3 * rate))
        let leg = placement.isLeg
        var w = [
            mix.rest, mix.walking, leg ? mix.gestures * 0.4 : mix.gestures, mix.setDown,
            leg ? mix.vibration * 0.5 : mix.vibration,
        ].map { max($0, 0) }
        if inEventSoon {
            w[2] = 0
            w[3] = 0
            w[4] = 0
        }  // only rest/walking around events
        let total = w.reduce(0, +)
        var choice = 0
        if total > 0 {
            var u = rng.uniform() * total
            for k in 0..<w.count {
                if u < w[k] {
                    choice = k
                    break
                }
                u -= w[k]
                choice = k
            }
        }
        actStart = i
        func len(_ s: Double) -> Int64 { max(Int64(s * rate), 2) }
        switch choice {
        case 1:  // walking
            activity = .walk
            let f = rng.uniform(1.5...2.3)
            phaseInc = Float(2 * Double.pi * f / rate)
            phase = Float(rng.uniform(0...6.28))
            let s = min(scale, 1.2)
            amp1 = Float(leg ? rng.uniform(0.15...0.27) : rng.uniform(0.06...0.18)) * s
            amp2 = Float(leg ? rng.uniform(0.04...0.08) : rng.uniform(0.02...0.06)) * s
            amp3 = Float(leg ? rng.uniform(0.02...0.05) : rng.uniform(0.01...0.03)) * s
            let sum = amp1 + amp2 + amp3
            if sum > 0.45 {
                let k = 0.45 / sum
                amp1 *= k
                amp2 *= k
                amp3 *= k
            }
            // Vertical bounce along `up`, the harmonics mixed with fore-aft directions.
            dir1 = (up * 0.8 + rng.unitVector() * 0.6).normalized
            dir2 = rng.unitVector()
            dir3 = rng.unitVector()
            p2 = Float(rng.uniform(0...6.28))
            p3 = Float(rng.uniform(0...6.28))
            // Arm / shank swing at the stride frequency (f/2), peak rate ≤ 2.3 rad/s.
            let swing = min(rng.uniform(0.15...0.4), 2.3 / (Double.pi * f))
            omegaMax = Float(swing * Double.pi * f)
            axis = up.perpendicular(angle: Float(rng.uniform(0...6.28)))
            actEnd = i + len(rng.uniform(10...120))
        case 2:  // gesture: smooth rotation, sin² rate profile
            activity = .gesture
            let theta = rng.uniform(0.4...2.0)
            let wmax = rng.uniform(0.8...2.5)
            let T = max(2 * theta / wmax, 0.6)
            omegaMax = Float(2 * theta / T)
            axis = rng.unitVector()
            dir1 = axis.perpendicular(angle: Float(rng.uniform(0...6.28)))  // tangential
            dir2 = axis.cross(dir1)  // centripetal
            amp1 = Float(0.25 / 9.81) * omegaMax * Float(Double.pi / T)  // r·α_max in g, r = 0.25 m
            amp2 = Float(0.25 / 9.81)
            actEnd = i + len(T)
            invLen = 1 / Float(actEnd - i)
        case 3:  // set the limb down: lowering with a small rotation, then a ≤ 0.65 g contact bump
            activity = .setDown
            let T = rng.uniform(0.5...1.2)
            actEnd = i + len(T)
            invLen = 1 / Float(actEnd - i)
            axis = up.perpendicular(angle: Float(rng.uniform(0...6.28)))
            omegaMax = Float(rng.uniform(0.2...0.8) / (0.7 * T) * 2)  // sin² profile over the lowering
            amp1 = Float(rng.uniform(0.25...0.65)) * min(scale, 1)  // contact peak
            amp2 = Float(max(rng.uniform(0.04...0.12), 2 / rate) / T)  // contact width (fraction of T)
            amp3 = Float(rng.uniform(0.05...0.15))  // lowering dip
        case 4:  // fine vibration 10–15 Hz (kept below Nyquist to avoid aliasing)
            activity = .vibration
            let f = rng.uniform(10...max(10.5, min(15, 0.46 * rate)))
            phaseInc = Float(2 * Double.pi * f / rate)
            amp1 = min(Float(rng.uniform(0.03...0.3)) * scale, 0.35)
            dir1 = rng.unitVector()
            actEnd = i + len(rng.uniform(3...30))
            invLen = 1 / Float(actEnd - i)
        default:
            activity = .rest
            actEnd = i + len(rng.uniform(5...60))
        }
    }

    // MARK: - Events

    private mutating func startEvent(at i: Int64, events: inout [TruthEvent]) -> Bool {
        let kind = planner.pickKind()
        let t0 = Double(i) / rate
        switch kind {
        case .phasic:
            let r = rng.uniform()
            let n = r < 0.55 ? 1 : (r < 0.85 ? 2 : 3)
            jerkStarts.removeAll(keepingCapacity: true)
            jerkLens.removeAll(keepingCapacity: true)
            jerkPeaks.removeAll(keepingCapacity: true)
            jerkDirs.removeAll(keepingCapacity: true)
            var s = i
            let minLen = max(0.12, 6 / rate)
            for k in 0..<n {
                if k > 0 { s += Int64(rng.uniform(0.1...0.8) * rate) }
                let L = max(Int64(rng.uniform(minLen...max(minLen, 0.45)) * rate), 4)
                jerkStarts.append(s)
                jerkLens.append(L)
                jerkPeaks.append(max(Float(rng.uniform(1.4...3.5)) * scale, 1.4))
                // ≥ 60° from gravity: |up·dir| ≤ 0.5 keeps |a| ≥ 0.87 g (never a fall).
                let beta = Float(rng.uniform(-0.5...0.5))
                let p = up.perpendicular(angle: Float(rng.uniform(0...6.28)))
                jerkDirs.append((p * (1 - beta * beta).squareRoot() + up * beta).normalized)
                s += L
            }
            evStart = i
            evEnd = s
            guard planner.fits(index: i, seconds: Double(s - i) / rate) else { return false }
            evBusyUntil = s
        case .clonus:
            let leg = placement.isLeg
            var f = leg ? rng.uniform(4.0...6.5) : rng.uniform(3.0...8.0)
            f = min(f, rate / 4)
            evPhaseInc = Float(2 * Double.pi * f / rate)
            evPhase = 0
            evAmp = min(max(Float(rng.uniform(0.3...0.8)) * scale, 0.3), 0.8)
            let beta = Float(rng.uniform(-0.6...0.6))
            evDir = (up.perpendicular(angle: Float(rng.uniform(0...6.28))) * (1 - beta * beta).squareRoot() + up * beta).normalized
            let dur = min(2.6 + rng.exponential(mean: 7), 30)
            evRamp = max(Int64(0.25 * rate), 2)
            evStart = i
            evEnd = i + Int64(dur * rate)
            guard planner.fits(index: i, seconds: dur) else { return false }
            evBusyUntil = evEnd
        case .fall:
            let ffMin = max(0.15, 6 / rate)
            let ff = rng.uniform(ffMin...max(0.5, ffMin))
            let ffLen = Int64(ff * rate)
            // Residual |a| during free fall: low enough that noise never lifts it to 0.5 g.
            fallResidual = min(Float(rng.uniform(0.05...0.3)), max(0.02, 0.42 - 4 * noiseSD * 1.8))
            fallImpactStart = i + max(ffLen, Int64((ffMin * rate).rounded(.up)))
            fallImpactLen = max(Int64(rng.uniform(max(0.08, 4 / rate)...max(0.2, 4 / rate)) * rate), 3)
            fallPeak = max(Float(rng.uniform(3.0...6.0)) * scale, 3.0)
            fallAxis = up.perpendicular(angle: Float(rng.uniform(0...6.28)))
            fallOmega = Float(rng.uniform(1.0...1.8)) / Float(fallImpactStart - i)  // rad per sample
            evStart = i
            evEnd = fallImpactStart + fallImpactLen
            let lying = rng.uniform(15...60)
            guard planner.fits(index: i, seconds: Double(evEnd - i) / rate + lying) else { return false }
            evBusyUntil = evEnd + Int64(lying * rate)
            // Lying still afterwards: walking/gestures stop.
            activity = .rest
            actStart = i
            actEnd = evBusyUntil
        case .tonic:
            return false
        }
        eventKind = kind
        events.append(TruthEvent(start: t0, end: Double(evEnd) / rate, kind: kind))
        return true
    }

    // MARK: - Generation

    /// Generate `count` sample instants into `out` (3 interleaved channels), appending
    /// labels of events that start.
    mutating func generate(into out: UnsafeMutablePointer<Float>, count: Int, events: inout [TruthEvent]) {
        var o = out
        let twoPi: Float = 2 * .pi
        for _ in 0..<count {
            let i = index
            // Slow orientation drift, redrawn about once a second.
            if i >= nextDriftUpdate {
                let mag: Float = activity == .rest && i < evBusyUntil ? 0.002 : Float(rng.uniform(0...0.05))
                driftOmega = rng.unitVector() * mag
                nextDriftUpdate = i + Int64(rate)
            }
            if i >= actEnd && i >= evBusyUntil { startActivity(at: i) }
            if eventKind == nil, i >= planner.nextIndex {
                if activity == .walk || activity == .rest {
                    if !startEvent(at: i, events: &events) { planner.schedule(after: i) }
                } else {
                    planner.nextIndex = actEnd  // wait for the confounder to finish
                }
            }

            var dyn = Vec3.zero
            var omega = driftOmega
            var gscale: Float = 1

            switch activity {
            case .rest:
                break
            case .walk:
                phase += phaseInc
                if phase > 2 * twoPi { phase -= 2 * twoPi }  // keep phase/2 continuous (swing)
                dyn = dir1 * (amp1 * _sin(phase)) + dir2 * (amp2 * _sin(2 * phase + p2)) + dir3 * (amp3 * _sin(3 * phase + p3))
                omega = omega + axis * (omegaMax * _cos(0.5 * phase))
            case .gesture:
                let tau = Float(i - actStart) * invLen
                let s = _sin(.pi * tau)
                let w = omegaMax * s * s
                omega = omega + axis * w
                dyn = dir1 * (amp1 * _sin(twoPi * tau)) + dir2 * (amp2 * w * w)
            case .setDown:
                let tau = Float(i - actStart) * invLen
                if tau < 0.7 {
                    let s = _sin(.pi * tau / 0.7)
                    omega = omega + axis * (omegaMax * s * s)
                    dyn = up * (-amp3 * _sin(twoPi * tau / 0.7))
                } else {
                    let c = (tau - 0.7) / amp2
                    if c < 1 { dyn = up * (amp1 * _sin(.pi * c)) } else { dyn = up * (0.04 * _sin(6 * .pi * c) * max(0, 1 - (c - 1) / 3)) }
                }
            case .vibration:
                phase += phaseInc
                if phase > twoPi { phase -= twoPi }
                let tau = Float(i - actStart) * invLen
                let env = min(1, min(tau * 10, (1 - tau) * 10)) * (0.8 + 0.2 * _sin(twoPi * 3 * tau))
                dyn = dir1 * (amp1 * env * _sin(phase))
            }

            if let kind = eventKind {
                switch kind {
                case .phasic:
                    for k in 0..<jerkStarts.count {
                        let d = i - jerkStarts[k]
                        if d >= 0 && d < jerkLens[k] {
                            let tau = Float(d) / Float(jerkLens[k])
                            // Biphasic pulse: acceleration lobe, smaller deceleration lobe.
                            let v = _sin(twoPi * tau) * (tau < 0.5 ? 1 : 0.6)
                            dyn = dyn + jerkDirs[k] * (jerkPeaks[k] * v)
                        }
                    }
                case .clonus:
                    evPhase += evPhaseInc
                    if evPhase > twoPi { evPhase -= twoPi }
                    let d = i - evStart
                    let rem = evEnd - i
                    let env = min(1, Float(min(d, rem)) / Float(evRamp)) * (1 + 0.12 * _sin(Float(d) * 0.5 * dt * twoPi))
                    dyn = dyn + evDir * (evAmp * env * (_sin(evPhase) + 0.15 * _sin(2 * evPhase)))
                case .fall:
                    if i < fallImpactStart {
                        let d = Float(i - evStart)
                        let ramp = min(1, d / max(1, Float(rate) * 0.03))
                        gscale = 1 - (1 - fallResidual) * ramp
                        dyn = .zero
                        omega = omega + fallAxis * (fallOmega * Float(rate))
                    } else if i < fallImpactStart + fallImpactLen {
                        let c = Float(i - fallImpactStart) / Float(fallImpactLen)
                        dyn = up * ((fallPeak - 1) * _sin(.pi * c))
                    } else {
                        let c = Float(i - fallImpactStart - fallImpactLen) * dt
                        dyn = up * (0.3 * _sin(twoPi * 9 * c) * max(0, 1 - c / 0.3))
                    }
                case .tonic:
                    break
                }
                if i >= evEnd && (kind != .fall || i >= evEnd + Int64(0.4 * rate)) {
                    eventKind = nil
                    planner.schedule(after: max(evEnd, i), spacing: EventPlanner.minSpacing + Double(evBusyUntil - evEnd) / rate)
                }
            }

            if truthEnabled {
                truthLog.dynamic.append(dyn.length)
                truthLog.activity.append(eventKind.map { TruthLog.code($0) } ?? TruthLog.code(activity))
                truthLog.omega.append((omega - driftOmega).length)
            }
            // Rotate the orientation: up += (omega × up)·dt.
            up = (up + omega.cross(up) * dt).normalized
            let (n0, n1, n2, _) = rng.gaussian4()
            let a = up * gscale + dyn
            o[0] = a.x + noiseSD * n0
            o[1] = a.y + noiseSD * n1
            o[2] = a.z + noiseSD * n2
            o += 3
            index += 1
        }
    }
}
