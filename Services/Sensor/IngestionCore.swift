import SpasmSync
import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmSchema

/// The heart of sensor ingestion, shared by the ZeroMQ and HTTP endpoints: validates each
/// frame (FrameValidator, then time and rate rules that need history), publishes accepted
/// frames on `sensor.frame.<sensor>`, registers new sensors, keeps per-sensor statistics,
/// and counts every rejection by reason.
final class IngestionCore: Sendable {
    let publisher: BusPublisher
    let counters: CounterSet
    let settings: SensorSettings
    let logger: Logger
    private let state = Locked(State())

    struct SensorState {
        var kind: SensorSignal
        var placement: BodySite
        var sampleRate: Double
        var channels: Int
        /// Stream time just after the last accepted sample.
        var nextExpectedTime: Double
        var lastFrameTime: Double
        var framesAccepted: Int64 = 0
        var framesRejected: Int64 = 0
        var samplesLost: Int64 = 0
        var gaps: Int64 = 0
        var maxJitterMs: Double = 0
        var registeredAt: Double
    }

    struct RateBucket {
        var tokens: Double
        var updated: Double
    }

    struct State {
        var sensors: [String: SensorState] = [:]
        var buckets: [String: RateBucket] = [:]
    }

    init(publisher: BusPublisher, counters: CounterSet, settings: SensorSettings, logger: Logger) {
        self.publisher = publisher
        self.counters = counters
        self.settings = settings
        self.logger = logger
    }

    /// Checks and publishes one frame; the reply says what happened.
    func ingest(json: Data, binary: Data?, via: String, producerKey: String,
                now: Double = Date().timeIntervalSince1970) -> ProducerReply {
        var outgoing: [[Data]] = []
        let reply = ingest(json: json, binary: binary, via: via, producerKey: producerKey, now: now, outgoing: &outgoing)
        publisher.publish(batch: outgoing)
        return reply
    }

    /// Checks one frame and adds what it publishes to `outgoing` (stamped, in order); the
    /// caller hands a whole batch of frames to the bus at once.
    func ingest(json: Data, binary: Data?, via: String, producerKey: String, now: Double,
                outgoing: inout [[Data]]) -> ProducerReply {
        var seq: UInt64?
        do {
            let frame = try FrameValidator.validate(json: json, binary: binary, maxBytes: settings.maxFrameBytes)
            seq = frame.producerSeq
            let (header, register) = try admit(frame, producerKey: producerKey, now: now)
            if let register {
                let registration = SensorRegistration(sensorId: frame.sensorId, kind: frame.kind, placement: frame.placement,
                                                      sampleRate: frame.sampleRate, channels: frame.channels, via: via,
                                                      producer: frame.producer ?? register)
                if let message = try? publisher.stamp(topic: Topic.sensorRegistered, type: SensorRegistration.messageType,
                                                      id: .fastRandom(), person: nil, bodyJSON: WireCodec.encode(registration)) {
                    outgoing.append(message)
                }
            }
            let body = try header.fastJSON() ?? WireCodec.encode(header)
            outgoing.append(try publisher.stamp(topic: Topic.sensorFrame(frame.sensorId), type: SensorFrame.messageType,
                                                id: .fastRandom(), person: nil, bodyJSON: body, payload: frame.payload))
            counters.add("frames.accepted")
            counters.add("samples.accepted", Int64(frame.sampleCount))
            return ProducerReply(ok: true, sensorId: frame.sensorId, accepted: frame.sampleCount, seq: frame.producerSeq)
        } catch let rejection as FrameRejection {
            counters.add("frames.rejected")
            counters.add("rejected.\(rejection.reason)")
            logger.debug("frame rejected", metadata: ["reason": "\(rejection.reason)", "error": "\(rejection.message)", "via": "\(via)"])
            var reply = rejection.reply
            // Echo the frame's seq whenever it can be read, even from a frame refused as invalid.
            reply.seq = seq ?? FlatJSON.withMembers(json) { $0.value("seq")?.uint64 }
            return reply
        } catch {
            counters.add("frames.rejected")
            counters.add("rejected.internal")
            return ProducerReply(ok: false, error: "internal error: \(error)", reason: "internal")
        }
    }

    /// The rules that need history: rate limit per producer, time moving forward per sensor
    /// (small jitter allowed, gaps recorded). Returns the bus header and, for a new or changed
    /// sensor, a registration to publish.
    private func admit(_ frame: ValidFrame, producerKey: String, now: Double) throws(FrameRejection) -> (SensorFrame, String?) {
        let limit = settings.maxFramesPerSecondPerProducer
        let duration = Double(frame.sampleCount) / frame.sampleRate
        let period = 1 / frame.sampleRate
        let result: Result<(SensorFrame, String?), FrameRejection> = state.withLock { state in
            // Token bucket: `limit` frames per second, bursts of one second.
            var bucket = state.buckets[producerKey] ?? RateBucket(tokens: limit, updated: now)
            bucket.tokens = min(limit, bucket.tokens + (now - bucket.updated) * limit)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                state.buckets[producerKey] = bucket
                state.sensors[frame.sensorId]?.framesRejected += 1
                return .failure(FrameRejection(
                    message: "rate limit: at most \(FrameValidator.format(limit)) frames/s per producer; slow down (send more samples per frame)",
                    field: nil, reason: "rate-limit"))
            }
            bucket.tokens -= 1
            state.buckets[producerKey] = bucket

            var previous = state.sensors[frame.sensorId]
            let changed = previous.map { $0.kind != frame.kind || $0.sampleRate != frame.sampleRate || $0.placement != frame.placement } ?? true
            if changed { previous = nil }
            var start: Double
            if let given = frame.firstSampleTime {
                start = given
            } else {
                // No clock on the device: the frame ended as it arrived.
                start = now - duration
                if let previous, abs(start - previous.nextExpectedTime) < max(0.25, duration / 2) {
                    start = previous.nextExpectedTime  // continuous stream: ignore arrival jitter
                }
            }
            var sensor = previous ?? SensorState(kind: frame.kind, placement: frame.placement, sampleRate: frame.sampleRate,
                                                 channels: frame.channels, nextExpectedTime: start, lastFrameTime: now,
                                                 registeredAt: now)
            if let previous {
                let delta = start - previous.nextExpectedTime
                let tolerance = max(2 * period, 0.02)
                if delta < -tolerance {
                    sensor.framesRejected += 1
                    state.sensors[frame.sensorId] = sensor
                    return .failure(FrameRejection(
                        message: "firstSampleTime \(String(format: "%.3f", start)) is \(String(format: "%.3f", -delta)) s before the end of the previous frame of \(frame.sensorId) (\(String(format: "%.3f", previous.nextExpectedTime))); time must move forward",
                        field: "firstSampleTime", reason: "time"))
                }
                if delta > 1.5 * period {
                    let lost = Int64((delta * frame.sampleRate).rounded())
                    sensor.samplesLost += lost
                    sensor.gaps += 1
                    counters.add("sensor.gaps")
                    counters.add("sensor.samples_lost", lost)
                } else {
                    sensor.maxJitterMs = max(sensor.maxJitterMs, abs(delta) * 1000)
                    // Within jitter: continue the sensor's own sample clock, so detectors
                    // downstream see an unbroken stream (they treat a jump as a gap).
                    start = previous.nextExpectedTime
                }
            }
            sensor.nextExpectedTime = start + duration
            sensor.lastFrameTime = now
            sensor.framesAccepted += 1
            // Register on the first frame, on a change, and again every minute (storage may have missed it).
            let register = changed || now - sensor.registeredAt > 60
            if register { sensor.registeredAt = now }
            state.sensors[frame.sensorId] = sensor
            let header = SensorFrame(sensorId: frame.sensorId, kind: frame.kind, placement: frame.placement,
                                     sampleRate: frame.sampleRate, channels: frame.channels,
                                     unit: frame.kind == .imu ? .g : .millivolts, firstSampleTime: start,
                                     sampleCount: frame.sampleCount, producerSeq: frame.producerSeq)
            return .success((header, register ? (frame.producer ?? producerKey) : nil))
        }
        return try result.get()
    }

    /// Sensor health for the heartbeat and `spasmwatch status`.
    var sensorStatuses: [SensorStatus] {
        state.withLock { state in
            state.sensors.map { id, s in
                SensorStatus(sensorId: id, kind: s.kind, placement: s.placement, sampleRate: s.sampleRate,
                             lastFrameTime: s.lastFrameTime, framesAccepted: s.framesAccepted,
                             framesRejected: s.framesRejected, samplesLost: s.samplesLost, maxJitterMs: s.maxJitterMs)
            }.sorted { $0.sensorId < $1.sensorId }
        }
    }
}
