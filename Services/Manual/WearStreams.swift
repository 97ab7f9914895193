import Foundation
import SpasmProducer
import SpasmSchema
import SpasmSignal

/// The phone as a sensor, on the server's side of the "Wear this phone" page's WebSocket.
///
/// The page sends batches of about 0.5 s of `accelerationIncludingGravity`, already in g,
/// each sample with its real timestamp, numbered from 0 per page load (`epoch`). Here:
///
/// - **Idempotent by sequence.** Per device, the next batch expected; a batch below it was
///   already taken (the page re-sent it after a dropped socket): it is acknowledged again and
///   not ingested twice. A batch above it means the page had to drop some (its buffer was
///   full): counted as lost.
/// - **Resampled here**, from the real timestamps to a uniform rate (`UniformResampler`): the
///   frames join exactly, so ordinary jitter never looks like a gap to the detector.
/// - **Forwarded** as ordinary frames through `SensorForwarder` (the SDK, the producer
///   endpoint). A batch is acknowledged only once ingestion accepted its frames; when
///   ingestion cannot take them ("unavailable"), no ack: the page keeps it and sends it
///   again. Frames already accepted from a half-sent batch are not sent twice.
actor WearStreams {
    /// The most samples one batch may hold (about 30 s at 60 Hz): bounded work per message.
    static let maxSamplesPerBatch = 2000
    static let standardRates: [Double] = [25, 50, 60, 100, 200]

    struct Batch: Decodable {
        var type: String
        var device: String
        var epoch: String
        var seq: UInt64
        var placement: String
        var battery: Double?
        /// Unix time of each sample, in milliseconds.
        var t: [Double]
        var x: [Float]
        var y: [Float]
        var z: [Float]
    }

    struct Reply: Encodable {
        var type: String
        var seq: UInt64?
        var duplicate: Bool?
        var error: String?
        /// Samples (per axis) this device lost so far: dropped by the page or refused by ingestion.
        var lost: Int64
        var rate: Double?
        var sensorId: String?
    }

    private struct Stream {
        var epoch: String
        var nextSeq: UInt64
        var resampler: UniformResampler
        var frameSeq: UInt64 = 0
        var lost: Int64 = 0
        /// Frames built for a batch not yet acknowledged, and how many ingestion took.
        var pending: (seq: UInt64, frames: [(json: Data, binary: Data)], sent: Int)?
    }

    private var streams: [String: Stream] = [:]
    private let forwarder: SensorForwarder
    private let count: @Sendable (String, Int64) -> Void

    init(forwarder: SensorForwarder, count: @escaping @Sendable (String, Int64) -> Void) {
        self.forwarder = forwarder
        self.count = count
    }

    /// One text message from the page; the reply to send back.
    func handle(_ text: String) async -> Reply {
        let batch: Batch
        do {
            batch = try JSONDecoder().decode(Batch.self, from: Data(text.utf8))
        } catch {
            count("wear.refused", 1)
            return Reply(type: "error", error: "not a batch: \(WireCodec.describe(error, in: Data(text.utf8)))", lost: 0)
        }
        if let problem = Self.problem(batch) {
            count("wear.refused", 1)
            return Reply(type: "error", seq: batch.seq, error: problem, lost: streams[batch.device]?.lost ?? 0)
        }
        var stream: Stream
        if let known = streams[batch.device], known.epoch == batch.epoch {
            stream = known
        } else {
            // A new page load (or this service restarted): its numbering starts here.
            let rate = Self.rate(for: batch.t)
            stream = Stream(
                epoch: batch.epoch, nextSeq: batch.seq, resampler: UniformResampler(rate: rate),
                frameSeq: streams[batch.device]?.frameSeq ?? 0, lost: streams[batch.device]?.lost ?? 0)
        }
        if batch.seq < stream.nextSeq {
            count("wear.duplicates", 1)
            return Reply(type: "ack", seq: batch.seq, duplicate: true, lost: stream.lost, rate: stream.resampler.rate, sensorId: batch.device)
        }
        if batch.seq > stream.nextSeq {
            // The page had to drop batches (its buffer was full): they are gone.
            let missing = Int64(batch.seq - stream.nextSeq)
            stream.lost += missing * Int64(batch.t.count)
            count("wear.batches_lost", missing)
            stream.pending = nil
        }
        if stream.pending?.seq != batch.seq {
            let runs = stream.resampler.add(times: batch.t.map { $0 / 1000 }, x: batch.x, y: batch.y, z: batch.z)
            var frames: [(json: Data, binary: Data)] = []
            for run in runs {
                let frame = ProducerFrame(
                    sensorId: batch.device, kind: "imu", placement: batch.placement,
                    sampleRate: stream.resampler.rate, channels: 3, unit: "g",
                    firstSampleTime: run.firstSampleTime, sampleCount: run.count,
                    producer: "phone-page", seq: stream.frameSeq, device: DeviceKind.phone.rawValue,
                    battery: batch.battery)
                stream.frameSeq += 1
                frames.append((json: (try? WireCodec.encode(frame)) ?? Data(), binary: SamplePacking.pack(run.samples)))
            }
            stream.pending = (batch.seq, frames, 0)
        }
        streams[batch.device] = stream
        guard let pending = stream.pending else { return Reply(type: "error", seq: batch.seq, error: "internal", lost: stream.lost) }
        let replies = await forwarder.send(Array(pending.frames[pending.sent...]))
        // The actor may have run other batches meanwhile (another socket of the same page):
        // read the stream again before changing it.
        guard var current = streams[batch.device], current.epoch == batch.epoch, current.pending?.seq == batch.seq else {
            return Reply(type: "ack", seq: batch.seq, duplicate: true, lost: streams[batch.device]?.lost ?? 0, sensorId: batch.device)
        }
        var sent = pending.sent
        var error: String?
        for (reply, frame) in zip(replies, pending.frames[pending.sent...]) {
            if reply.ok {
                sent += 1
            } else if reply.reason == ProducerReply.unavailable {
                error = reply.error ?? "sensor ingestion is not reachable"
                break
            } else {
                // Refused for what it is (not for the moment): sending it again cannot help.
                let samples = Int64(frame.binary.count / 12)
                current.lost += samples
                count("wear.samples_refused", samples)
                error = reply.error
                sent += 1
            }
        }
        if sent < pending.frames.count {
            current.pending = (batch.seq, pending.frames, sent)
            streams[batch.device] = current
            count("wear.unavailable", 1)
            return Reply(type: "retry", seq: batch.seq, error: error ?? "sensor ingestion did not answer", lost: current.lost, sensorId: batch.device)
        }
        current.pending = nil
        current.nextSeq = batch.seq + 1
        streams[batch.device] = current
        count("wear.batches", 1)
        count("wear.samples_in", Int64(batch.t.count))
        return Reply(
            type: "ack", seq: batch.seq, duplicate: false, error: error, lost: current.lost,
            rate: current.resampler.rate, sensorId: batch.device)
    }

    /// What is wrong with a batch, in words, or nil.
    static func problem(_ batch: Batch) -> String? {
        if batch.type != "batch" { return "type must be \"batch\"" }
        if batch.device.isEmpty || batch.device.utf8.count > 64 { return "device must be a sensor id of 1–64 characters" }
        if batch.epoch.isEmpty || batch.epoch.utf8.count > 64 { return "epoch must be 1–64 characters" }
        let n = batch.t.count
        if n == 0 || n > maxSamplesPerBatch { return "a batch holds 1–\(maxSamplesPerBatch) samples, not \(n)" }
        if batch.x.count != n || batch.y.count != n || batch.z.count != n {
            return "t, x, y and z must have the same length (\(n), \(batch.x.count), \(batch.y.count), \(batch.z.count))"
        }
        if !batch.t.allSatisfy({ $0.isFinite && $0 > 946_684_800_000 }) { return "t must be Unix time in milliseconds" }
        if let battery = batch.battery, !(0...100).contains(battery) { return "battery must be 0–100 (percent)" }
        return nil
    }

    /// The standard rate nearest the batch's median sample interval (60 Hz for a browser's ~16.7 ms).
    static func rate(for times: [Double]) -> Double {
        let intervals = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }.sorted()
        guard !intervals.isEmpty else { return 60 }
        let measured = 1000 / intervals[intervals.count / 2]
        return standardRates.min { abs($0 - measured) < abs($1 - measured) } ?? 60
    }
}
