import Foundation
import SpasmSchema

/// Turns a sensor's frames into per-minute summaries (RMS, peak, dominant frequency) as
/// they arrive, without keeping the minute's samples: running sums for RMS, and spectra of
/// ~2 s windows averaged over the minute. A frame counts for the minute its first sample
/// falls in. Not thread-safe: owned by the store's writer.
public struct MinuteSummarizer {
    private var states: [String: State] = [:]
    /// Finished minutes, taken with `takeFinished()`.
    private var finished: [SensorMinuteSummary] = []

    public init() {}

    /// Adds one frame's samples (channels interleaved, g or mV).
    public mutating func add(frame: SensorFrame, samples: UnsafeBufferPointer<Float>, now: Double) {
        let minute = (frame.firstSampleTime / 60).rounded(.down) * 60
        if var state = states[frame.sensorId] {
            if state.minute != minute && minute > state.minute
                || state.channels != frame.channels || state.sampleRate != frame.sampleRate
            {
                if let done = state.finish() { finished.append(done) }
                state = State(frame: frame, minute: minute)
            }
            state.add(samples)
            state.lastArrival = now
            states[frame.sensorId] = state
        } else {
            var state = State(frame: frame, minute: minute)
            state.add(samples)
            state.lastArrival = now
            states[frame.sensorId] = state
        }
    }

    /// Closes minutes of sensors that sent nothing for `idleSeconds` (wall clock).
    public mutating func closeIdle(now: Double, idleSeconds: Double = 90) {
        for (id, var state) in states where now - state.lastArrival >= idleSeconds {
            if let done = state.finish() { finished.append(done) }
            states[id] = nil
        }
    }

    /// Closes every open minute (at shutdown).
    public mutating func closeAll() {
        for var state in states.values { if let done = state.finish() { finished.append(done) } }
        states.removeAll()
    }

    public mutating func takeFinished() -> [SensorMinuteSummary] {
        defer { finished.removeAll() }
        return finished
    }

    /// One sensor's open minute.
    struct State {
        let sensorId: String
        let kind: SensorKind
        let sampleRate: Double
        let channels: Int
        let minute: Double
        let windowLength: Int
        var lastArrival = 0.0
        var count = 0
        var sum: [Double]
        var sumSquares: [Double]
        var peak = 0.0
        var window: [Float] = []
        var spectrum: [Double]
        var windows = 0
        /// FFT work buffers, reused for every window.
        var re: [Double]
        var im: [Double]

        init(frame: SensorFrame, minute: Double) {
            sensorId = frame.sensorId
            kind = frame.kind
            sampleRate = frame.sampleRate
            channels = max(1, frame.channels)
            self.minute = minute
            // ~2 s windows: 0.5 Hz resolution, enough to tell clonus (3–8 Hz) from walking.
            var n = 16
            while Double(n) < frame.sampleRate * 2 && n < 8192 { n *= 2 }
            windowLength = n
            sum = Array(repeating: 0, count: channels)
            sumSquares = Array(repeating: 0, count: channels)
            spectrum = Array(repeating: 0, count: n / 2 + 1)
            re = Array(repeating: 0, count: n)
            im = Array(repeating: 0, count: n)
            window.reserveCapacity(n * channels)
        }

        mutating func add(_ samples: UnsafeBufferPointer<Float>) {
            let total = (samples.count / channels) * channels
            guard total > 0 else { return }
            sum.withUnsafeMutableBufferPointer { sum in
                sumSquares.withUnsafeMutableBufferPointer { squares in
                    var c = 0
                    for j in 0..<total {
                        let v = Double(samples[j])
                        sum[c] += v
                        squares[c] += v * v
                        c += 1
                        if c == channels { c = 0 }
                    }
                }
            }
            count += total / channels
            let full = windowLength * channels
            var offset = 0
            while offset < total {
                let take = min(full - window.count, total - offset)
                window.append(contentsOf: UnsafeBufferPointer(rebasing: samples[offset..<(offset + take)]))
                offset += take
                if window.count == full { processWindow(spectral: true) }
            }
        }

        /// Peak over the window (its mean removed per channel), and its spectrum.
        mutating func processWindow(spectral: Bool) {
            let n = window.count / channels
            guard n > 0 else { return }
            var means = Array(repeating: 0.0, count: channels)
            for i in 0..<n { for c in 0..<channels { means[c] += Double(window[i * channels + c]) } }
            for c in 0..<channels { means[c] /= Double(n) }
            for i in 0..<n {
                var squared = 0.0
                for c in 0..<channels {
                    let d = Double(window[i * channels + c]) - means[c]
                    squared += d * d
                }
                peak = max(peak, squared.squareRoot())
            }
            if spectral {
                if kind == .emg {
                    // EMG: the rhythm of bursts lives in the rectified envelope, not the raw signal.
                    var meanAbs = 0.0
                    for i in 0..<n { meanAbs += abs(Double(window[i]) - means[0]) }
                    meanAbs /= Double(n)
                    for i in 0..<windowLength { re[i] = i < n ? abs(Double(window[i]) - means[0]) - meanAbs : 0 }
                    addPower()
                } else {
                    // The axis that moves most carries the rhythm (one FFT instead of one per axis).
                    var axis = 0
                    var largest = -1.0
                    for c in 0..<channels {
                        var energy = 0.0
                        for i in 0..<n {
                            let d = Double(window[i * channels + c]) - means[c]
                            energy += d * d
                        }
                        if energy > largest {
                            largest = energy
                            axis = c
                        }
                    }
                    for i in 0..<n { re[i] = Double(window[i * channels + axis]) - means[axis] }
                    for i in n..<windowLength { re[i] = 0 }
                    addPower()
                }
                windows += 1
            }
            window.removeAll(keepingCapacity: true)
        }

        /// Adds the power spectrum of `re` (the window, imaginary part zero) to `spectrum`.
        mutating func addPower() {
            for k in 0..<im.count { im[k] = 0 }
            FFT.transform(&re, &im)
            for k in 0..<spectrum.count { spectrum[k] += re[k] * re[k] + im[k] * im[k] }
        }

        mutating func finish() -> SensorMinuteSummary? {
            let partial = window.count / channels
            processWindow(spectral: partial >= windowLength / 2)
            guard count > 0 else { return nil }
            let n = Double(count)
            var variance = 0.0
            for c in 0..<channels { variance += max(0, sumSquares[c] / n - (sum[c] / n) * (sum[c] / n)) }
            var dominant: Double?
            if windows > 0 {
                let resolution = sampleRate / Double(windowLength)
                let first = max(1, Int((0.5 / resolution).rounded(.up)))
                var best = first
                var total = 0.0
                if first < spectrum.count {
                    for k in first..<spectrum.count {
                        total += spectrum[k]
                        if spectrum[k] > spectrum[best] { best = k }
                    }
                    if total > 1e-12 { dominant = Double(best) * resolution }
                }
            }
            return SensorMinuteSummary(
                sensorId: sensorId, minute: minute, kind: kind, samples: count,
                rms: variance.squareRoot(), peak: peak, dominantFrequencyHz: dominant)
        }
    }
}

/// An in-place radix-2 FFT (length a power of two).
enum FFT {
    static func transform(_ re: inout [Double], _ im: inout [Double]) {
        let n = re.count
        guard n > 1 else { return }
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 {
                j ^= bit
                bit >>= 1
            }
            j |= bit
            if i < j {
                re.swapAt(i, j)
                im.swapAt(i, j)
            }
        }
        var length = 2
        while length <= n {
            let angle = -2 * Double.pi / Double(length)
            let wr = cos(angle)
            let wi = sin(angle)
            var start = 0
            while start < n {
                var cr = 1.0
                var ci = 0.0
                for k in 0..<(length / 2) {
                    let a = start + k
                    let b = a + length / 2
                    let tr = re[b] * cr - im[b] * ci
                    let ti = re[b] * ci + im[b] * cr
                    re[b] = re[a] - tr
                    im[b] = im[a] - ti
                    re[a] += tr
                    im[a] += ti
                    let next = cr * wr - ci * wi
                    ci = cr * wi + ci * wr
                    cr = next
                }
                start += length
            }
            length <<= 1
        }
    }
}
