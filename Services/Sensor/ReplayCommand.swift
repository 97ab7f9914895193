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
