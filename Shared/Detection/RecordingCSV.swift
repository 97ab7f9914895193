import Foundation
import SpasmErrors

/// A recording in the project's CSV format: header `t,ax,ay,az` (IMU, g) or `t,emg` (EMG, mV),
/// `t` in seconds.
public struct Recording: Sendable {
    public var kind: SensorKind
    /// Sample times (s) as written in the file.
    public var times: [Double]
    /// Samples interleaved, `kind.channels` per time.
    public var values: [Float]
    /// Nominal rate: the median of the time steps.
    public var sampleRate: Double

    public var count: Int { times.count }
    public var duration: Double { times.isEmpty ? 0 : times[times.count - 1] - times[0] }

    public init(kind: SensorKind, times: [Double], values: [Float], sampleRate: Double) {
        self.kind = kind
        self.times = times
        self.values = values
        self.sampleRate = sampleRate
    }

    /// Reads the file; a missing or unreadable one, or one that is not a recording, is a
    /// sentence naming the path and what belongs there (`UserFiles`).
    public init(contentsOf url: URL, kind: SensorKind? = nil, rate: Double? = nil) throws {
        let data = try UserFiles.contents(of: url.path, expecting: Self.whatItIs)
        do {
            try self.init(csvData: data, kind: kind, rate: rate)
        } catch let error as SpasmError where error.code == .recordingCSV {
            throw SpasmError(.recordingCSV, "\(url.path) is \(error.message)", detail: url.path)
        }
    }

    /// What a recording file is, for the sentences about one.
    public static let whatItIs =
        "a recording: a CSV whose first line is t,ax,ay,az (IMU, in g) or t,emg (EMG, in mV), such as those in ../shared/eval/dev/"

    public init(csvText: String, kind: SensorKind? = nil, rate: Double? = nil) throws {
        try self.init(csvData: Data(csvText.utf8), kind: kind, rate: rate)
    }

    /// Parses the CSV; `kind` is taken from the header unless given, `rate` from the
    /// median time step unless given.
    public init(csvData: Data, kind: SensorKind? = nil, rate: Double? = nil) throws {
        var bytes = [UInt8](csvData)
        bytes.append(0)
        let headerEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count - 1
        let header = String(decoding: bytes[0..<headerEnd], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let cols = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let detected: SensorKind
        if cols.count >= 4, cols[0] == "t", cols[1] == "ax", cols[2] == "ay", cols[3] == "az" {
            detected = .imu
        } else if cols.count >= 2, cols[0] == "t", cols[1] == "emg" {
            detected = .emg
        } else if let k = kind {
            detected = k
        } else {
            throw SpasmError(
                .recordingCSV,
                "not a recording: its first line is '\(Self.echo(header))', and a recording's is t,ax,ay,az (IMU, in g) or t,emg (EMG, in mV)")
        }
        let k = kind ?? detected
        let ch = k.channels
        var times: [Double] = []
        var values: [Float] = []
        let estimate = max(16, bytes.count / (ch == 3 ? 28 : 16))
        times.reserveCapacity(estimate)
        values.reserveCapacity(estimate * ch)
        var row = 0
        try bytes.withUnsafeMutableBufferPointer { buf in
            let base = UnsafeMutableRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self)
            var p = base + headerEnd + 1
            let end = base + buf.count - 1
            var endp: UnsafeMutablePointer<CChar>? = nil
            while p < end {
                // skip blank lines
                while p < end, p.pointee == 10 || p.pointee == 13 || p.pointee == 32 { p += 1 }
                if p >= end { break }
                row += 1
                let tv = strtod(p, &endp)
                guard let e0 = endp, e0 != p else {
                    throw SpasmError(.recordingCSV, "not a recording: data row \(row) is not numbers separated by commas")
                }
                p = e0
                times.append(tv)
                for _ in 0..<ch {
                    guard p.pointee == 44 else {
                        throw SpasmError(.recordingCSV, "not a recording: data row \(row) is not numbers separated by commas")
                    }  // ','
                    p += 1
                    let v = strtod(p, &endp)
                    guard let e = endp, e != p else {
                        throw SpasmError(.recordingCSV, "not a recording: data row \(row) is not numbers separated by commas")
                    }
                    p = e
                    values.append(Float(v))
                }
                // ignore extra columns to end of line
                while p < end, p.pointee != 10 { p += 1 }
            }
        }
        guard times.count >= 2 else { throw SpasmError(.recordingCSV, "not a recording: it has fewer than 2 samples") }
        self.kind = k
        self.times = times
        self.values = values
        self.sampleRate = rate ?? Recording.medianRate(times)
    }

    /// Rate from the time column: the median step finds the gaps, then the mean step over
    /// the contiguous stretches gives the rate (a median of rounded steps alone, e.g.
    /// 0.00133 / 0.00134 s at 750 Hz, can be off by a per cent).
    /// A first line as the sentence quotes it: up to 40 characters, anything unprintable as "?".
    static func echo(_ line: String) -> String {
        let shown = line.unicodeScalars.prefix(40).map { $0.properties.generalCategory == .control || $0 == "\u{FFFD}" ? "?" : Character($0) }
        return String(shown) + (line.unicodeScalars.count > 40 ? "…" : "")
    }

    static func medianRate(_ t: [Double]) -> Double {
        var d: [Double] = []
        let step = max(1, t.count / 20000)
        var i = 1
        while i < t.count {
            d.append(t[i] - t[i - 1])
            i += step
        }
        d.sort()
        let m = d[d.count / 2]
        guard m > 0 else { return 1 }
        var sum = 0.0
        var n = 0
        for j in 1..<t.count {
            let s = t[j] - t[j - 1]
            if s > 0.5 * m && s < 1.5 * m {
                sum += s
                n += 1
            }
        }
        return n > 0 && sum > 0 ? Double(n) / sum : 1 / m
    }
}

/// Episode rows `start,end,kind[,detected_at]` as in labels and detections files.
public struct EpisodeRow: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var kind: String
    public var detectedAt: Double?

    public init(start: Double, end: Double, kind: String, detectedAt: Double? = nil) {
        self.start = start
        self.end = end
        self.kind = kind
        self.detectedAt = detectedAt
    }

    /// Reads a labels or detections CSV (header names the columns; rows that do not
    /// parse are skipped, as score.py does).
    public static func read(csvText: String) -> [EpisodeRow] {
        var lines = csvText.split(whereSeparator: \.isNewline).makeIterator()
        guard let h = lines.next() else { return [] }
        let cols = h.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let si = cols.firstIndex(of: "start"), let ei = cols.firstIndex(of: "end"),
            let ki = cols.firstIndex(of: "kind")
        else { return [] }
        let di = cols.firstIndex(of: "detected_at")
        var rows: [EpisodeRow] = []
        while let l = lines.next() {
            let f = l.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count > max(si, ei, ki), let s = Double(f[si]), let e = Double(f[ei]) else { continue }
            var d: Double? = nil
            if let di, di < f.count, !f[di].isEmpty {
                guard let v = Double(f[di]) else { continue }
                d = v
            }
            rows.append(EpisodeRow(start: s, end: e, kind: f[ki].lowercased(), detectedAt: d))
        }
        return rows
    }

    public static func read(contentsOf url: URL) -> [EpisodeRow]? {
        guard let s = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return read(csvText: s)
    }
}

extension SpasmError.Code {
    /// A recording CSV that cannot be read (its header, a row, too few samples).
    public static let recordingCSV = SpasmError.Code("recording.csv")
}
