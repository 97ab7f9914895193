import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmDetection
import SpasmIngestion
import SpasmProducer
import SpasmRuntime
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

    @Flag(
        help: ArgumentHelp(
            "Send the frames as a worn sensor's, not marked test: a drill of the whole path.",
            discussion:
                "Its episodes and alerts are not marked test: a fall in the recording rings Home Assistant's alarm, and caregivers are told of it as of a real fall. Without it a replay's frames say test: its alerts say \"(test sensor)\" and Home Assistant fires nothing."
        ))
    var asWorn = false

    func run() async throws {
        let (home, configuration) = try options.load()
        let endpoints = Endpoints(home: home, configuration: configuration)
        let recording = try Recording.load(URL(fileURLWithPath: file))
        let site: BodySite
        if let placement {
            guard let parsed = BodySite(parsing: placement) else {
                throw ValidationError("placement \(BodySite.notASite(placement))")
            }
            site = parsed
        } else {
            site = recording.kind == .imu ? .rightAnkle : .leftCalf
        }
        let speedValue: Double? = speed == "max" ? nil : Double(speed)
        if speed != "max" && (speedValue ?? 0) <= 0 { throw ValidationError("--speed must be a positive number or 'max'") }
        let id =
            sensorId
            ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            .replacingOccurrences(of: " ", with: "-")
        let perFrame = frameSamples ?? max(1, Int(recording.sampleRate / 4))
        let security = endpoints.usesCurve ? try BusSecurity.load(home: home, key: ServiceName.keyName(ServiceName.sensor)) : nil
        let sensor = SensorProducer.Sensor(
            sensorId: id, kind: recording.kind, placement: site, sampleRate: recording.sampleRate,
            producerName: "replay", test: !asWorn)
        let endpoint = endpoints.sensorProducers
        print(
            "replaying \(file): \(recording.kind.rawValue), \(recording.count) samples at \(FrameValidatorFormat.rate(recording.sampleRate)) Hz, \(recording.gaps) gap(s), as sensor \(id)"
        )
        if asWorn { print("as a worn sensor (--as-worn): its episodes and alerts are not marked test; a fall alerts as a real one") }
        let result: (frames: Int, rejected: Int, errors: [String]) = await SocketThread.run(name: "replay") {
            var frames = 0
            var rejected = 0
            var errors: [String] = []
            do {
                let producer = try SensorProducer(endpoint: endpoint, sensor: sensor, security: security)
                defer { producer.close() }
                let wallStart = Date().timeIntervalSince1970
                // Faster than real time, the recording is dated in the past so that it ends now:
                // ingestion refuses samples dated more than 10 minutes ahead of its clock.
                let span = recording.times[recording.count - 1] - recording.times[0]
                let base = wallStart - span * (1 - 1 / max(1, speedValue ?? .infinity))
                var progress = ReplayProgress(span: span, interactive: isatty(STDOUT_FILENO) != 0)
                for frame in recording.frames(maxSamples: perFrame) {
                    progress.show(at: frame.start - recording.times[0], frames: frames, rejected: rejected)
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
                progress.finish(frames: frames, rejected: rejected)
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

/// "replay: 40% (11:06 of 27:45), 2,664 frames sent, 0 rejected", every 2 s of wall time: on
/// a terminal one line rewritten in place, else (a log, a pipe) one line each 10%.
struct ReplayProgress {
    let span: Double
    let interactive: Bool
    var lastShown = Date.distantPast
    var lastTenth = 0
    var shownOnce = false

    mutating func show(at offset: Double, frames: Int, rejected: Int) {
        let fraction = span > 0 ? min(1, max(0, offset / span)) : 1
        if interactive {
            guard Date().timeIntervalSince(lastShown) >= 2 else { return }
            lastShown = Date()
            print("\r" + line(fraction, offset, frames, rejected), terminator: "")
            fflush(nil)  // every stream: `stdout` itself is a global var Swift 6 refuses to touch
            shownOnce = true
        } else {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            print(line(fraction, offset, frames, rejected))
        }
    }

    /// The last line, at 100%.
    func finish(frames: Int, rejected: Int) {
        let last = line(1, span, frames, rejected)
        if interactive { print(shownOnce ? "\r" + last : last) } else if lastTenth < 10 { print(last) }
    }

    func line(_ fraction: Double, _ offset: Double, _ frames: Int, _ rejected: Int) -> String {
        "replay: \(Int(fraction * 100))% (\(Self.clock(offset)) of \(Self.clock(span))), \(frames) frames sent, \(rejected) rejected"
    }

    /// 665.2 s → "11:05"; an hour or more → "1:02:05".
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
