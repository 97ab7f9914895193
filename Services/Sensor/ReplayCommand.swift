import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmDetection
import SpasmProducer
import SpasmRuntime
import SpasmIngestion
import SpasmSchema

/// `spasmwatch-sensor replay FILE.csv`: sends a recording in the format of
/// `../shared/eval/dev/` (`t,ax,ay,az` in g, or `t,emg` in mV) to spasmwatch-sensor.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording (t,ax,ay,az or t,emg CSV) into spasmwatch-sensor.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: "1 = real time, 10 = ten times faster, max = as fast as ingestion takes.")
    var speed: String = "max"

    @Option(help: "Sensor id (default: the file's name).")
    var sensorId: String?

    @Option(help: "Body site (default: right-ankle for imu, left-calf for emg).")
    var placement: String?

    @Option(help: "Samples per frame (default: 0.25 s of samples).")
    var frameSamples: Int?

    func run() async throws {
        let (home, configuration) = try options.load()
        let endpoints = Endpoints(home: home, configuration: configuration)
        let recording = try Recording.load(URL(fileURLWithPath: file))
        let site: BodySite
        if let placement {
            guard let parsed = BodySite(parsing: placement) else {
                throw ValidationError("placement '\(placement)' is not a body site; allowed: \(BodySite.allowedList)")
            }
            site = parsed
        } else {
            site = recording.kind == .imu ? .rightAnkle : .leftCalf
        }
        let speedValue: Double? = speed == "max" ? nil : Double(speed)
        if speed != "max" && (speedValue ?? 0) <= 0 { throw ValidationError("--speed must be a positive number or 'max'") }
        let id = sensorId ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            .replacingOccurrences(of: " ", with: "-")
        let perFrame = frameSamples ?? max(1, Int(recording.sampleRate / 4))
        let security = endpoints.usesCurve ? try BusSecurity.load(home: home, key: ServiceName.keyName(ServiceName.sensor)) : nil
        let sensor = SensorProducer.Sensor(sensorId: id, kind: recording.kind, placement: site, sampleRate: recording.sampleRate,
                                           producerName: "replay", test: true)
        let endpoint = endpoints.sensorProducers
        print("replaying \(file): \(recording.kind.rawValue), \(recording.count) samples at \(FrameValidatorFormat.rate(recording.sampleRate)) Hz, \(recording.gaps) gap(s), as sensor \(id)")
        let result: (frames: Int, rejected: Int, errors: [String]) = await SocketThread.run(name: "replay") {
            var frames = 0, rejected = 0
            var errors: [String] = []
            do {
                let producer = try SensorProducer(endpoint: endpoint, sensor: sensor, security: security)
                defer { producer.close() }
                let wallStart = Date().timeIntervalSince1970
                // Faster than real time, the recording is dated in the past so that it ends now:
                // ingestion refuses samples dated more than 10 minutes ahead of its clock.
                let span = recording.times[recording.count - 1] - recording.times[0]
                let base = wallStart - span * (1 - 1 / max(1, speedValue ?? .infinity))
                for frame in recording.frames(maxSamples: perFrame) {
                    if let speedValue {
                        let wait = wallStart + (frame.start - recording.times[0]) / speedValue - Date().timeIntervalSince1970
                        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                    }
                    let reply = try producer.send(samples: frame.samples, firstSampleTime: base + frame.start - recording.times[0])
                    frames += 1
                    if !reply.ok {
                        rejected += 1
                        if errors.count < 5 { errors.append(reply.error ?? "?") }
                    }
                }
            } catch {
                errors.append("\(error)")
            }
            return (frames, rejected, errors)
        }
        print("sent \(result.frames) frames, \(result.rejected) rejected")
        for e in result.errors { print("  error: \(e)") }
        if result.rejected > 0 || result.frames == 0 { throw ExitCode(1) }
    }
}

enum FrameValidatorFormat {
    static func rate(_ r: Double) -> String { FrameValidator.format(r) }
}

/// A recording in the eval format: a `t` column (seconds) and 3 (imu) or 1 (emg) channels.
struct Recording {
    var kind: SensorSignal
    var times: [Double]
    /// Interleaved channels.
    var values: [Float]
    var channels: Int
    var sampleRate: Double
    var count: Int { times.count }
    /// Places where the `t` column jumps by more than 1.5 sample periods.
    var gaps: Int {
        let limit = 1.5 / sampleRate
        return zip(times, times.dropFirst()).filter { $1 - $0 > limit }.count
    }

    struct Frame {
        var start: Double
        var samples: [Float]
    }

    /// Reads the file as `spasmwatch-detect scan` does (SpasmDetection's reader, the same
    /// nominal rate), on the same steady clock: a phone's jittered times are resampled and
    /// only a pause longer than 0.5 s stays a gap, so live and offline see the same samples.
    static func load(_ url: URL) throws -> Recording {
        let parsed: SpasmDetection.Recording
        do {
            parsed = try SpasmDetection.Recording(contentsOf: url).steadyClock()
        } catch let error as SpasmDetection.Recording.ParseError {
            throw ValidationError("\(url.path): \(error)")
        }
        let kind: SensorSignal = parsed.kind == .imu ? .imu : .emg
        return Recording(kind: kind, times: parsed.times, values: parsed.values, channels: parsed.kind.channels,
                         sampleRate: parsed.sampleRate)
    }

    /// Frames of at most `maxSamples`, split where the data has a gap so each frame's samples
    /// are evenly spaced from its first sample's time.
    func frames(maxSamples: Int) -> [Frame] {
        var frames: [Frame] = []
        let limit = 1.5 / sampleRate
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
