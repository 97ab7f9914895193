import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmIngestion
import SpasmSchema
import SpasmSync

/// The heart of sensor ingestion, shared by the ZeroMQ and HTTP endpoints: validates each
/// frame (FrameValidator, then time and rate rules that need history), publishes accepted
/// frames on `sensor.frame.<sensor>`, registers new sensors, keeps per-sensor statistics,
/// and counts every rejection by reason.
///
/// Per sensor it also decides whether the sensor is *worn* (it has sent for
/// `sensor.wornAfterSeconds`, or is named in `sensor.worn`): only worn sensors that are not
/// test sensors raise a sensor-silent alert. A sensor's clock may jump: frames that disagree
/// with its stream are refused until 3 agree with each other, then the stream moves to the
/// new clock (recorded as a clock jump). Sensors unseen for `sensor.expireAfterSeconds` are
/// forgotten, and new sensors past `maxSensorsPerProducer` / `maxSensors` are refused.
final class IngestionCore: Sendable {
    let publisher: BusPublisher
    let counters: CounterSet
    let settings: SensorSettings
    let logger: Logger
    /// Whose sensors these are (the home's person).
    let person: String
    private let wornByConfig: Set<String>
    private let state = Locked(State())

    /// Frames that agree with each other but not with the stream needed to move the stream to their clock.
    static let framesToReanchor = 3
    /// A stream that runs ahead of the wall clock by more than this between two frames has had
    /// its clock jump forward (less is a gap in the data, or a replay running fast).
    static let forwardJumpSeconds: Double = 60

    struct SensorState {
        var kind: SensorKind
        var placement: BodySite
        var sampleRate: Double
        var channels: Int
        /// Stream time just after the last accepted sample.
        var nextExpectedTime: Double
        /// Server time the last accepted frame arrived.
        var lastFrameTime: Double
        var framesAccepted: Int64 = 0
        var framesRejected: Int64 = 0
        var samplesLost: Int64 = 0
        var gaps: Int64 = 0
        var maxJitterMs: Double = 0
        var registeredAt: Double
        /// The producer (connection) that last sent for it: the per-producer cap counts by it.
        var producerKey: String
        var test = false
        var worn = false
        /// Server time of its first frame since it was last silent.
        var sendingSince: Double
        var clockJumps: Int64 = 0
        var lastClockJump: Double?
        /// Frames on another clock, consistent with each other, since the last accepted frame.
        var candidate: ClockCandidate?
        var device: DeviceKind?
        var battery: Double?
        var batteryAt: Double?
        /// The site the device sends, when a person moved it elsewhere (`placement` is theirs).
        var sentPlacement: BodySite?
    }

    /// The stream a sensor seems to have moved to: where its next frame should start, when the
    /// last of its frames arrived, how many frames agree, and how far the clock moved.
    struct ClockCandidate {
        var nextExpectedTime: Double
        var arrival: Double
        var frames: Int
        var jump: Double
    }

    struct RateBucket {
        var tokens: Double
        var updated: Double
    }

    struct State {
        var sensors: [String: SensorState] = [:]
        var buckets: [String: RateBucket] = [:]
        /// Known sensors per producer key.
        var perProducer: [String: Int] = [:]
        var lastPrune: Double = 0
    }

    /// When set, frames are accepted only while the bus is connected; otherwise the reply is
    /// "unavailable" (nothing is published into a bus that would drop it).
    let link: BusLink?
    /// When set, accepted frames are counted per sensor on disk before the reply.
    let acceptedCounts: AcceptedCounts?
    /// Names and body sites a person gave devices (rename, move); a moved device's frames
    /// are published at the person's site.
    let profiles: DeviceProfiles?
    /// Saves those counts for the HTTP path, on its own thread (never on the pool).
    let countsWriter: AcceptedCountsWriter?

    init(
        publisher: BusPublisher, counters: CounterSet, settings: SensorSettings, logger: Logger, person: String = "me",
        link: BusLink? = nil, acceptedCounts: AcceptedCounts? = nil, profiles: DeviceProfiles? = nil
    ) {
        self.profiles = profiles
        self.link = link
        self.acceptedCounts = acceptedCounts
        self.countsWriter = acceptedCounts.map(AcceptedCountsWriter.init)
        self.publisher = publisher
        self.counters = counters
        self.settings = settings
        self.logger = logger
        self.person = person
        self.wornByConfig = Set(settings.worn)
    }

    /// Checks and publishes one frame; the reply says what happened.
    func ingest(
        json: Data, binary: Data?, via: String, producerKey: String,
        now: Double = Date().timeIntervalSince1970
    ) -> ProducerReply {
        var outgoing: [[Data]] = []
        let reply = ingest(json: json, binary: binary, via: via, producerKey: producerKey, now: now, outgoing: &outgoing)
        deliver(outgoing)
        return reply
    }

    /// Checks and publishes one frame from async code (the HTTP endpoint): the counts are
    /// saved by `countsWriter`'s thread, so the request's task waits without blocking the pool.
    func ingestAsync(json: Data, binary: Data?, via: String, producerKey: String) async -> ProducerReply {
        var outgoing: [[Data]] = []
        let reply = ingest(
            json: json, binary: binary, via: via, producerKey: producerKey,
            now: Date().timeIntervalSince1970, outgoing: &outgoing)
        if let countsWriter, !outgoing.isEmpty {
            do {
                try await countsWriter.save()
            } catch {
                counters.add("counts.save_failed")
                logger.error("could not save accepted frame counts", metadata: ["error": "\(error)"])
            }
        }
        publisher.publish(batch: outgoing)
        return reply
    }

    /// Saves the accepted counts, then hands the batch to the bus: call it before replying.
    /// Blocks on SQLite: only from a dedicated thread (the ZeroMQ endpoint's socket thread).
    func deliver(_ outgoing: [[Data]]) {
        if let acceptedCounts {
            do {
                try acceptedCounts.save()
            } catch {
                counters.add("counts.save_failed")
                logger.error("could not save accepted frame counts", metadata: ["error": "\(error)"])
            }
        }
        publisher.publish(batch: outgoing)
    }

    /// Checks one frame and adds what it publishes to `outgoing` (stamped, in order); the
    /// caller hands a whole batch of frames to the bus at once.
    /// `binding`: on tcp, the producer key's name and the sensor ids it may send (nil: any).
    func ingest(
        json: Data, binary: Data?, via: String, producerKey: String, now: Double,
        binding: (key: String, sensors: [String])? = nil, outgoing: inout [[Data]]
    ) -> ProducerReply {
        var seq: UInt64?
        do {
            // A frame that is wrong is wrong whether or not the bus is up: its own error first.
            var frame = try FrameValidator.validate(json: json, binary: binary, maxBytes: settings.maxFrameBytes, now: now)
            seq = frame.producerSeq
            if let binding, !binding.sensors.contains(frame.sensorId) {
                let may = binding.sensors.isEmpty ? "none (it is no longer allowed)" : binding.sensors.joined(separator: ", ")
                throw SpasmError(
                    .frameSensorBinding, "sensor '\(frame.sensorId)' is not bound to key '\(binding.key)'; this key may send: \(may)",
                    detail: "sensorId")
            }
            var sentPlacement: BodySite?
            if let site = profiles?.profile(frame.sensorId)?.placement, site != frame.placement {
                sentPlacement = frame.placement  // a person moved it: their site wins
                frame.placement = site
            }
            if let link, let problem = link.problem() {
                // PUB would drop it: never answer "accepted" for a frame that goes nowhere (and
                // leave the sensor's state as it was: the frame is sent again).
                counters.add("frames.unavailable")
                return ProducerReply(
                    ok: false, error: "not accepted: \(problem); send this frame again in a moment (the SDK and the examples retry by themselves)",
                    reason: ProducerReply.unavailable, seq: frame.producerSeq)
            }
            let (header, register) = try admit(frame, sentPlacement: sentPlacement, producerKey: producerKey, now: now)
            if let register {
                let registration = SensorRegistration(
                    sensorId: frame.sensorId, kind: frame.kind, placement: frame.placement,
                    sampleRate: frame.sampleRate, channels: frame.channels, via: via,
                    producer: frame.producer ?? register)
                if let message = try? publisher.stamp(
                    topic: Topic.sensorRegistered, type: SensorRegistration.messageType,
                    id: .fastRandom(), person: nil, bodyJSON: WireCodec.encode(registration))
                {
                    outgoing.append(message)
                }
            }
            let body = try header.fastJSON() ?? WireCodec.encode(header)
            outgoing.append(
                try publisher.stamp(
                    topic: Topic.sensorFrame(frame.sensorId), type: SensorFrame.messageType,
                    id: .fastRandom(), person: nil, bodyJSON: body, payload: frame.payload))
            acceptedCounts?.add(frame.sensorId)
            counters.add("frames.accepted")
            counters.add("samples.accepted", Int64(frame.sampleCount))
            return ProducerReply(ok: true, sensorId: frame.sensorId, accepted: frame.sampleCount, seq: frame.producerSeq)
        } catch let rejection as SpasmError where rejection.rejectsFrame {
            counters.add("frames.rejected")
            counters.add("rejected.\(rejection.reason)")
            logger.debug("frame rejected", metadata: ["reason": "\(rejection.reason)", "error": "\(rejection.message)", "via": "\(via)"])
            var reply = ProducerReply(rejection: rejection)
            // Echo the frame's seq whenever it can be read, even from a frame refused as invalid.
            reply.seq = seq ?? FlatJSON.withMembers(json) { $0.value("seq")?.uint64 }
            return reply
        } catch {
            counters.add("frames.rejected")
            counters.add("rejected.internal")
            return ProducerReply(ok: false, error: "internal error: \(error)", reason: "internal")
        }
    }

    /// The rules that need history: rate limit per producer, the sensor caps, time moving
    /// forward per sensor (small jitter allowed, gaps recorded, clock jumps re-anchored after
    /// 3 consistent frames), and whether the sensor is worn. Returns the bus header and, for a
    /// new or changed sensor, a registration to publish.
    private func admit(
        _ frame: ValidFrame, sentPlacement: BodySite? = nil, producerKey: String,
        now: Double
    ) throws(SpasmError) -> (SensorFrame, String?) {
        let limit = settings.maxFramesPerSecondPerProducer
        let duration = Double(frame.sampleCount) / frame.sampleRate
        let period = 1 / frame.sampleRate
        let result: Result<(SensorFrame, String?), SpasmError> = state.withLock { state in
            if now - state.lastPrune >= 60 { prune(&state, now: now) }
            // Token bucket: `limit` frames per second, bursts of one second.
            var bucket = state.buckets[producerKey] ?? RateBucket(tokens: limit, updated: now)
            // (A server clock stepped back must not drain the bucket: time only adds tokens.)
            bucket.tokens = min(limit, bucket.tokens + max(0, now - bucket.updated) * limit)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                state.buckets[producerKey] = bucket
                state.sensors[frame.sensorId]?.framesRejected += 1
                return .failure(
                    SpasmError(
                        .frameRateLimit,
                        "rate limit: at most \(FrameValidator.format(limit)) frames/s per producer; slow down (send more samples per frame)"))
            }
            bucket.tokens -= 1
            state.buckets[producerKey] = bucket

            let previous = state.sensors[frame.sensorId]
            if previous == nil {
                if state.perProducer[producerKey, default: 0] >= settings.maxSensorsPerProducer {
                    return .failure(
                        SpasmError(
                            .frameSensorLimit,
                            "too many sensors: at most \(settings.maxSensorsPerProducer) per producer; forget old ones with spasmwatch sensors forget ID",
                            detail: "sensorId"))
                }
                if state.sensors.count >= settings.maxSensors {
                    return .failure(
                        SpasmError(
                            .frameSensorLimit,
                            "too many sensors: at most \(settings.maxSensors) in all; forget old ones with spasmwatch sensors forget ID",
                            detail: "sensorId"))
                }
            }
            let changed = previous.map { $0.kind != frame.kind || $0.sampleRate != frame.sampleRate || $0.placement != frame.placement } ?? true
            // The stream this frame continues: none for a new sensor or a changed one.
            let stream = changed ? nil : previous
            var start: Double
            if let given = frame.firstSampleTime {
                start = given
            } else {
                // No clock on the device: the frame ended as it arrived.
                start = now - duration
                if let stream, abs(start - stream.nextExpectedTime) < max(0.25, duration / 2) {
                    start = stream.nextExpectedTime  // continuous stream: ignore arrival jitter
                }
            }
            var sensor: SensorState
            if var known = previous {
                if changed {
                    known.kind = frame.kind
                    known.placement = frame.placement
                    known.sampleRate = frame.sampleRate
                    known.channels = frame.channels
                    known.candidate = nil
                }
                sensor = known
            } else {
                sensor = SensorState(
                    kind: frame.kind, placement: frame.placement, sampleRate: frame.sampleRate,
                    channels: frame.channels, nextExpectedTime: start, lastFrameTime: now,
                    registeredAt: now, producerKey: producerKey, sendingSince: now)
                state.perProducer[producerKey, default: 0] += 1
            }
            if let stream {
                let tolerance = max(2 * period, 0.02)
                let delta = start - stream.nextExpectedTime
                if Self.isClockJump(delta: delta, elapsed: now - stream.lastFrameTime, tolerance: tolerance, period: period) {
                    // Not this stream's clock. Frames that agree with each other build up a new
                    // stream; the third is accepted on it. A single stray frame costs one frame.
                    var candidate = ClockCandidate(
                        nextExpectedTime: start + duration, arrival: now, frames: 1,
                        jump: delta - (now - stream.lastFrameTime))
                    if let previousCandidate = sensor.candidate,
                        !Self.isClockJump(
                            delta: start - previousCandidate.nextExpectedTime, elapsed: now - previousCandidate.arrival,
                            tolerance: tolerance, period: period)
                    {
                        candidate.frames = previousCandidate.frames + 1
                        candidate.jump = previousCandidate.jump
                    }
                    if candidate.frames < Self.framesToReanchor {
                        sensor.candidate = candidate
                        sensor.framesRejected += 1
                        state.sensors[frame.sensorId] = sensor
                        return .failure(
                            SpasmError(
                                .frameTime,
                                Self.jumpMessage(
                                    frame: frame, start: start, stream: stream, delta: delta,
                                    elapsed: now - stream.lastFrameTime, frames: candidate.frames), detail: "firstSampleTime"))
                    }
                    // Three frames agree: the sensor's clock moved. Carry on from here.
                    sensor.candidate = nil
                    sensor.clockJumps += 1
                    sensor.lastClockJump = candidate.jump
                    counters.add("sensor.clock_jumps")
                    logger.notice(
                        "sensor clock jumped: its stream restarts on the new clock",
                        metadata: [
                            "sensor": "\(frame.sensorId)", "jumpSeconds": "\(String(format: "%.3f", candidate.jump))",
                            "frames": "\(Self.framesToReanchor)",
                        ])
                } else {
                    sensor.candidate = nil  // back on the stream's clock: a stray frame is forgotten
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
                        start = stream.nextExpectedTime
                    }
                }
            }
            if let previous, now - previous.lastFrameTime > settings.silentAfterSeconds {
                sensor.sendingSince = now  // it was silent: "worn" counts from now
            }
            if sensor.producerKey != producerKey {
                // The producer reconnected (a new connection is a new key): the sensor moves with it.
                state.perProducer[sensor.producerKey, default: 1] -= 1
                if state.perProducer[sensor.producerKey] == 0 { state.perProducer[sensor.producerKey] = nil }
                state.perProducer[producerKey, default: 0] += 1
                sensor.producerKey = producerKey
            }
            sensor.test = frame.test
            sensor.sentPlacement = sentPlacement
            if let device = frame.device { sensor.device = device }
            if let battery = frame.battery {
                sensor.battery = battery
                sensor.batteryAt = now
            }
            if !sensor.worn && (wornByConfig.contains(frame.sensorId) || now - sensor.sendingSince >= settings.wornAfterSeconds) {
                sensor.worn = true
                logger.info(
                    "sensor is worn: it raises an alert if it falls silent",
                    metadata: [
                        "sensor": "\(frame.sensorId)", "test": "\(frame.test)",
                    ])
            }
            sensor.nextExpectedTime = start + duration
            sensor.lastFrameTime = now
            sensor.framesAccepted += 1
            // Register on the first frame, on a change, and again every minute (storage may have missed it).
            let register = changed || now - sensor.registeredAt > 60
            if register { sensor.registeredAt = now }
            state.sensors[frame.sensorId] = sensor
            let header = SensorFrame(
                sensorId: frame.sensorId, kind: frame.kind, placement: frame.placement,
                sampleRate: frame.sampleRate, channels: frame.channels,
                unit: frame.kind == .imu ? .g : .millivolts, firstSampleTime: start,
                sampleCount: frame.sampleCount, producerSeq: frame.producerSeq, test: frame.test ? true : nil)
            return .success((header, register ? (frame.producer ?? producerKey) : nil))
        }
        return try result.get()
    }

    /// Whether a frame starting `delta` seconds after where the stream expected it, `elapsed`
    /// seconds (server time) after the stream's last frame, is on another clock: earlier than
    /// jitter allows, or further ahead than both a gap and the time that passed explain.
    static func isClockJump(delta: Double, elapsed: Double, tolerance: Double, period: Double) -> Bool {
        delta < -tolerance || (delta > 1.5 * period && delta - max(0, elapsed) > forwardJumpSeconds)
    }

    static func jumpMessage(
        frame: ValidFrame, start: Double, stream: SensorState, delta: Double, elapsed: Double,
        frames: Int
    ) -> String {
        let what =
            frame.firstSampleTime == nil
            ? "this frame (no firstSampleTime: its arrival) starts at \(String(format: "%.3f", start)), which"
            : "firstSampleTime \(String(format: "%.3f", start))"
        let problem =
            delta < 0
            ? "\(what) is \(String(format: "%.3f", -delta)) s before the end of the previous frame of \(frame.sensorId) (\(String(format: "%.3f", stream.nextExpectedTime))); time must move forward"
            : "\(what) is \(FrameValidator.duration(delta)) after the end of the previous frame of \(frame.sensorId) (\(String(format: "%.3f", stream.nextExpectedTime))), but only \(FrameValidator.duration(elapsed)) have passed: the sensor's clock jumped forward"
        return problem
            + ". If the sensor's clock changed, keep sending: after \(framesToReanchor) consistent frames its stream restarts on the new clock (this frame is \(frames) of \(framesToReanchor))"
    }

    /// Forgets sensors unseen for `expireAfterSeconds`, and idle rate buckets.
    private func prune(_ state: inout State, now: Double) {
        state.lastPrune = now
        let expired = state.sensors.filter { now - $0.value.lastFrameTime > settings.expireAfterSeconds }.map(\.key)
        for id in expired { remove(id, from: &state) }
        if !expired.isEmpty {
            counters.add("sensors.expired", Int64(expired.count))
            logger.info(
                "sensors forgotten after a day unseen",
                metadata: [
                    "sensors": "\(expired.sorted().prefix(20).joined(separator: ","))",
                    "count": "\(expired.count)",
                ])
        }
        state.buckets = state.buckets.filter { now - $0.value.updated < 60 }
    }

    @discardableResult
    private func remove(_ id: String, from state: inout State) -> SensorState? {
        guard let sensor = state.sensors.removeValue(forKey: id) else { return nil }
        state.perProducer[sensor.producerKey, default: 1] -= 1
        if state.perProducer[sensor.producerKey] == 0 { state.perProducer[sensor.producerKey] = nil }
        return sensor
    }

    private func status(_ id: String, _ s: SensorState) -> SensorStatus {
        var status = SensorStatus(
            sensorId: id, kind: s.kind, placement: s.placement, sampleRate: s.sampleRate,
            lastFrameTime: s.lastFrameTime, framesAccepted: s.framesAccepted,
            framesRejected: s.framesRejected, samplesLost: s.samplesLost, maxJitterMs: s.maxJitterMs,
            person: person, worn: s.worn, test: s.test, sendingSince: s.sendingSince,
            clockJumps: s.clockJumps, lastClockJumpSeconds: s.lastClockJump)
        status.device = s.device
        status.battery = s.battery
        status.batteryAt = s.batteryAt
        status.name = profiles?.profile(id)?.name
        status.sentPlacement = s.sentPlacement
        return status
    }

    /// `rename` and `move`: saves what the person said about a known sensor. A moved
    /// sensor's next frames are published (and registered again) at the new site.
    func changeProfile(_ request: SensorRequest) -> SensorReply {
        guard let id = request.sensorId, !id.isEmpty else { return SensorReply(ok: false, error: "\(request.op.rawValue) needs a sensorId") }
        guard let profiles else { return SensorReply(ok: false, error: "this sensor ingestion keeps no device names or sites") }
        guard state.withLock({ $0.sensors[id] != nil }) else {
            let known = sensorStatuses().map(\.sensorId)
            return SensorReply(
                ok: false, error: "no sensor '\(id)' is known; known: \(known.isEmpty ? "none" : known.prefix(20).joined(separator: ", "))")
        }
        do {
            switch request.op {
            case .rename:
                let name = try DeviceProfiles.checkName(request.name ?? "").get()
                _ = try profiles.update(id) { $0.name = name }
            case .move:
                let text = request.placement ?? ""
                guard let site = BodySite(rawValue: text) ?? BodySite(parsing: text) else {
                    return SensorReply(ok: false, error: BodySite.notASite(text, quote: { EchoText.quoted($0) }))
                }
                _ = try profiles.update(id) { $0.placement = site }
                state.withLock { state in
                    guard var sensor = state.sensors[id] else { return }
                    if sensor.placement != site {
                        sensor.sentPlacement = sensor.sentPlacement ?? sensor.placement
                        sensor.placement = site
                    }
                    sensor.registeredAt = 0  // its next frame registers it at the new site
                    state.sensors[id] = sensor
                }
            case .list, .forget:
                return SensorReply(ok: false, error: "not a profile change")
            }
        } catch let error as SpasmError where error.code == .deviceProfile {
            return SensorReply(ok: false, error: error.description)
        } catch {
            return SensorReply(ok: false, error: "could not save the change: \(error)")
        }
        counters.add("sensors.\(request.op.rawValue)d")
        logger.notice(
            "sensor \(request.op.rawValue)d",
            metadata: ["sensor": "\(id)", "name": "\(request.name ?? "")", "placement": "\(request.placement ?? "")"])
        return SensorReply(ok: true, sensors: sensorStatuses().filter { $0.sensorId == id })
    }

    /// Every sensor known, sorted by id (`spasmwatch sensors`, `GET /api/sensors`).
    func sensorStatuses(now: Double = Date().timeIntervalSince1970) -> [SensorStatus] {
        state.withLock { state in
            prune(&state, now: now)
            return state.sensors.map { status($0.key, $0.value) }.sorted { $0.sensorId < $1.sensorId }
        }
    }

    /// What the heartbeat carries: at most `SensorStatus.heartbeatLimit` sensors — those that
    /// raise an alert when silent first (the watchdog needs them), then the most recent — and
    /// a line saying how many are known.
    func heartbeatSensors(
        now: Double = Date().timeIntervalSince1970,
        limit: Int = SensorStatus.heartbeatLimit
    ) -> (info: [String: String], sensors: [SensorStatus]) {
        let all = sensorStatuses(now: now)
        let chosen = all.sorted { a, b in
            if a.watched != b.watched { return a.watched }
            if a.watched { return a.sensorId < b.sensorId }
            return a.lastFrameTime > b.lastFrameTime
        }.prefix(limit)
        let watched = all.filter(\.watched).count
        var line = "\(all.count) known, \(watched) worn (watched when silent)"
        if all.count > chosen.count {
            line += "; \(chosen.count) listed here, \(all.count - chosen.count) more: spasmwatch sensors lists all"
        }
        return (["sensors": line], chosen.sorted { $0.sensorId < $1.sensorId })
    }

    /// Removes a sensor (`spasmwatch sensors forget ID`): it no longer appears or raises an
    /// alert; if it sends again it is a new sensor. Returns what it was, nil when unknown.
    func forget(_ id: String) -> SensorStatus? {
        let removed = state.withLock { state in remove(id, from: &state).map { status(id, $0) } }
        if removed != nil {
            counters.add("sensors.forgotten")
            logger.notice("sensor forgotten", metadata: ["sensor": "\(id)"])
        }
        return removed
    }

    /// Answers a request on the local endpoint (`Endpoints.sensorRequests`).
    func answer(_ data: Data) -> Data {
        let reply: SensorReply
        do {
            reply = answer(try JSONDecoder().decode(SensorRequest.self, from: data))
        } catch {
            reply = Self.refusal(error)
        }
        return (try? WireCodec.encode(reply)) ?? Data(#"{"ok":false,"error":"could not encode the reply"}"#.utf8)
    }

    /// What a request that does not decode gets.
    static func refusal(_ error: Error) -> SensorReply {
        SensorReply(
            ok: false,
            error:
                "not a sensor request (expected {\"op\":\"list\"}, or \"forget\", \"rename\" (with \"name\") or \"move\" (with \"placement\") and a \"sensorId\"): \(WireCodec.describe(error))"
        )
    }

    func answer(_ request: SensorRequest) -> SensorReply {
        switch request.op {
        case .list:
            return SensorReply(ok: true, sensors: sensorStatuses(), acceptedFrames: try? acceptedCounts?.all())
        case .rename, .move:
            return changeProfile(request)
        case .forget:
            guard let id = request.sensorId, !id.isEmpty else { return SensorReply(ok: false, error: "forget needs a sensorId") }
            if let removed = forget(id) { return SensorReply(ok: true, sensors: [removed]) }
            let known = sensorStatuses().map(\.sensorId)
            let list = known.isEmpty ? "none" : known.prefix(20).joined(separator: ", ") + (known.count > 20 ? ", …" : "")
            return SensorReply(ok: false, error: "no sensor '\(id)' is known; known: \(list)")
        }
    }
}
