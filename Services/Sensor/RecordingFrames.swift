import Foundation
import SpasmDetection

/// What `replay` needs of a recording beyond SpasmDetection's one reader (the same one
/// `spasmwatch-detect scan` and the tests use): loading it on the steady clock, counting
/// its gaps and cutting it into sensor frames.
extension Recording {
    struct Frame {
        var start: Double
        var samples: [Float]
    }

    /// Places where the `t` column jumps by more than 1.5 sample periods.
    var gaps: Int {
        let limit = 1.5 / sampleRate
        return zip(times, times.dropFirst()).filter { $1 - $0 > limit }.count
    }

    /// Reads the file as `spasmwatch-detect scan` does (the same reader, the same nominal
    /// rate), on the same steady clock: a phone's jittered times are resampled and only a
    /// pause longer than 0.5 s stays a gap, so live and offline see the same samples.
    /// A missing or unreadable file, or one that is not a recording, is the reader's sentence.
    static func load(_ url: URL) throws -> Recording {
        try Recording(contentsOf: url).steadyClock()
    }

    /// Frames of at most `maxSamples`, split where the data has a gap so each frame's samples
    /// are evenly spaced from its first sample's time.
    func frames(maxSamples: Int) -> [Frame] {
        var frames: [Frame] = []
        let limit = 1.5 / sampleRate
        let channels = kind.channels
        var start = 0
        while start < count {
            var end = start + 1
            while end < count && end - start < maxSamples && times[end] - times[end - 1] <= limit { end += 1 }
            frames.append(Frame(start: times[start], samples: Array(values[(start * channels)..<(end * channels)])))
            start = end
        }
        return frames
    }
}
