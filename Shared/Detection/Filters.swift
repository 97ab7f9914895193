import Foundation

/// One-pole low-pass (exponential smoother) with time constant `tau` seconds.
struct OnePole: Sendable {
    var alpha: Double
    var y: Double = 0

    init(tau: Double, fs: Double) { alpha = 1 - exp(-1 / (max(tau, 1e-9) * fs)) }

    @inline(__always) mutating func step(_ x: Double) -> Double {
        y += alpha * (x - y)
        return y
    }
}

/// Exponentially windowed autocorrelation of up to three channels over lags 0...maxLag,
/// O(maxLag) per sample, no allocation after init. `rhythm(...)` finds the strongest
/// period within a lag range and checks the half-period anti-correlation that a true
/// oscillation has (and a harmonic of a faster vibration lacks).
struct RhythmTracker: Sendable {
    let channels: Int
    let maxLag: Int
    let alpha: Double
    private var history: [Double]  // ring of (maxLag + 1) × channels
    private var acc: [Double]  // acc[L] = weighted mean of Σc x[n] x[n−L]
    private var pos = 0
    private(set) var count = 0

    init(channels: Int, maxLag: Int, tau: Double, fs: Double) {
        self.channels = channels
        self.maxLag = maxLag
        alpha = 1 - exp(-1 / (tau * fs))
        // Each sample is stored twice (at pos and pos + cap) so that every lag reads one
        // contiguous run of memory: the inner loop has no wrap-around and vectorises.
        history = Array(repeating: 0, count: 2 * (maxLag + 1) * channels)
        acc = Array(repeating: 0, count: maxLag + 1)
    }

    mutating func reset() {
        for i in history.indices { history[i] = 0 }
        for i in acc.indices { acc[i] = 0 }
        pos = 0
        count = 0
    }

    /// Push one sample (channels values in `x0, x1, x2`).
    @inline(__always) mutating func push(_ x0: Double, _ x1: Double = 0, _ x2: Double = 0) {
        let cap = maxLag + 1
        let ch = channels
        let a = alpha
        let k = 1 - alpha
        let p = pos
        history.withUnsafeMutableBufferPointer { h in
            if ch == 1 {
                h[p] = x0
                h[p + cap] = x0
            } else {
                h[3 * p] = x0
                h[3 * p + 1] = x1
                h[3 * p + 2] = x2
                h[3 * (p + cap)] = x0
                h[3 * (p + cap) + 1] = x1
                h[3 * (p + cap) + 2] = x2
            }
            acc.withUnsafeMutableBufferPointer { s in
                // sample n − L sits at index p + cap − L (for L = 0 that is the copy at p + cap)
                let top = p + cap
                if ch == 1 {
                    for L in 0..<cap { s[L] = k * s[L] + a * (x0 * h[top - L]) }
                } else {
                    for L in 0..<cap {
                        let b = 3 * (top - L)
                        s[L] = k * s[L] + a * (x0 * h[b] + x1 * h[b + 1] + x2 * h[b + 2])
                    }
                }
            }
        }
        pos = p + 1 == cap ? 0 : p + 1
        count += 1
    }

    /// Weighted mean power (Σ over channels of x²).
    var power: Double { acc[0] }

    @inline(__always) func r(_ lag: Int) -> Double {
        let p = acc[0]
        return p > 1e-30 ? acc[lag] / p : 0
    }

    /// Normalised autocorrelation at a fractional lag (linear interpolation).
    func r(at lag: Double) -> Double {
        let l0 = max(0, min(maxLag - 1, Int(lag.rounded(.down))))
        let f = max(0, min(1, lag - Double(l0)))
        return r(l0) + (r(l0 + 1) - r(l0)) * f
    }

    /// The shortest period in `minLag...maxLag` that looks like a true oscillation: a
    /// local maximum of the normalised autocorrelation of at least `minR`, anti-correlated
    /// at half the period (≤ −0.2) and not correlated at a third of it (< 0.5) — which
    /// rejects harmonics of a faster vibration and sub-harmonics of a mixture. The lag is
    /// refined by parabolic interpolation. Without such a period, returns the strongest
    /// local maximum with `ok == false`.
    func rhythm(minLag: Int, maxLag hi: Int, minR: Double) -> (r: Double, lag: Double, halfR: Double, ok: Bool) {
        let lo = max(1, minLag)
        let hi = min(hi, maxLag - 1)
        guard lo <= hi, acc[0] > 1e-30 else { return (0, Double(lo), 0, false) }
        var fallback: (r: Double, lag: Double, halfR: Double, ok: Bool) = (-2, Double(lo), 0, false)
        for L in lo...hi {
            let v = r(L)
            let left = r(L - 1)
            let right = r(L + 1)
            guard v >= left && v >= right else { continue }
            var lag = Double(L)
            var peak = v
            let den = left - 2 * v + right
            if den < 0 {
                let d = max(-0.5, min(0.5, 0.5 * (left - right) / den))
                lag += d
                peak = v - 0.25 * (left - right) * d
            }
            peak = min(peak, 1)
            let half = r(at: lag / 2)
            let third = r(at: lag / 3)
            if peak >= minR && half <= -0.2 && third < 0.5 { return (peak, lag, half, true) }
            if peak > fallback.r { fallback = (peak, lag, half, false) }
        }
        if fallback.r < -1 { fallback.r = 0 }
        return fallback
    }
}
