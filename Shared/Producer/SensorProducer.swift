import Foundation
import SpasmBus
import SpasmErrors
import SpasmSchema
import ZeroMQ

/// The Swift SDK for sending a wearable's samples to SpasmWatch's sensor ingestion
/// (`spasmwatch-sensor`). Each frame gets a reply: accepted, or an error that says what is
/// wrong and what is allowed. Synchronous and not `Sendable`: like its ZeroMQ socket, one
/// producer belongs to one thread. The simulator and CSV replay use it.
///
/// Two ways to send:
/// - `send(samples:firstSampleTime:)` sends one frame and waits for its reply (a frame
///   refused by the rate limit is sent again after a pause).
/// - `submit(samples:firstSampleTime:)` keeps up to `window` frames in flight and returns
///   the replies that have arrived; `flush()` waits for the rest. A reply "unavailable"
///   (ingestion cannot reach the bus; the frame was not accepted) makes it back off; send
///   those frames again (their replies carry their `seq`). Replies come back in the
///   order the frames were sent, each with the frame's `seq`. This is how a producer with
///   many sensors or a fast link keeps ingestion busy without waiting a round trip per frame.
///
/// ```swift
/// let producer = try SensorProducer(endpoint: endpoints.sensorProducers,
///                                   sensor: .init(sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100))
/// let reply = try producer.send(samples: interleavedXYZ, firstSampleTime: Date().timeIntervalSince1970)
/// ```
public final class SensorProducer {
    /// What the producer says about its sensor in every frame.
    public struct Sensor: Sendable {
        public var sensorId: String
        public var kind: SensorKind
        public var placement: BodySite
        public var sampleRate: Double
        /// "g" or "m/s2" for imu, "mV" or "uV" for emg.
        public var unit: String
        public var producerName: String
        /// A test sensor (a replay, a simulation, a demo): every frame says `"test": true`, so
        /// it never raises a sensor-silent alert and its episodes and alerts say "(test sensor)".
        public var test: Bool

        public init(
            sensorId: String, kind: SensorKind, placement: BodySite, sampleRate: Double, unit: String? = nil,
            producerName: String = "swift-sdk", test: Bool = false
        ) {
            self.sensorId = sensorId
            self.kind = kind
            self.placement = placement
            self.sampleRate = sampleRate
            self.unit = unit ?? (kind == .imu ? "g" : "mV")
            self.producerName = producerName
            self.test = test
        }
    }

    public let sensor: Sensor
    /// Frames sent so far; the next frame's `seq`.
    public private(set) var framesSent: UInt64 = 0
    /// Frames `submit` keeps in flight before it waits for a reply.
    public let window: Int
    private let context: ZMQContext
    private let ownsContext: Bool
    private let endpoint: String
    private let security: BusSecurity?
    private let timeoutMilliseconds: Int32
    private var socket: ZMQSocket
    /// Frames sent and not yet answered (their replies come back in order).
    public private(set) var framesInFlight = 0
    /// How long `send` keeps re-sending a frame answered "unavailable".
    public var retryUnavailableSeconds: Double = 30
    /// Frames `send` sent again after "unavailable".
    public private(set) var unavailableRetries = 0
    private var submitBackoff = 0.1

    /// Connects to the producer endpoint (`Endpoints.sensorProducers`; `spasmwatch status`
    /// prints it). `security` is needed for a tcp endpoint (CURVE).
    public init(
        endpoint: String, sensor: Sensor, security: BusSecurity? = nil, context: ZMQContext? = nil,
        timeoutMilliseconds: Int32 = 5000, window: Int = 64
    ) throws {
        self.sensor = sensor
        self.endpoint = endpoint
        self.security = security
        self.context = context ?? ZMQContext()
        self.ownsContext = context == nil
        self.timeoutMilliseconds = timeoutMilliseconds
        self.window = max(1, window)
        socket = try Self.connect(context: self.context, endpoint: endpoint, security: security, timeout: timeoutMilliseconds)
    }

    /// A DEALER socket: requests and replies flow freely, in order, without REQ's lock-step.
    private static func connect(context: ZMQContext, endpoint: String, security: BusSecurity?, timeout: Int32) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setReceiveTimeout(milliseconds: timeout)
        try socket.setSendTimeout(milliseconds: timeout)
        try socket.setLinger(milliseconds: 0)
        try socket.setReconnectInterval(milliseconds: 100, max: 1000)
        if let security { try security.secureClient(socket) }
        try socket.connect(endpoint)
        return socket
    }

    /// The frame's JSON header for `samples` (interleaved, 3 channels for imu, 1 for emg).
    private func header(valueCount: Int, firstSampleTime: Double?) -> Data {
        let channels = sensor.kind == .imu ? 3 : 1
        let frame = ProducerFrame(
            sensorId: sensor.sensorId, kind: sensor.kind.rawValue, placement: sensor.placement.rawValue,
            sampleRate: sensor.sampleRate, channels: channels, unit: sensor.unit,
            firstSampleTime: firstSampleTime, sampleCount: valueCount / channels,
            producer: sensor.producerName, seq: framesSent, test: sensor.test ? true : nil)
        return frame.fastJSON() ?? (try! JSONEncoder().encode(frame))
    }

    /// Sends one frame of interleaved samples (3 channels for imu, 1 for emg) as a binary
    /// Float32 frame and waits for the reply. `firstSampleTime` nil: the service uses the
    /// arrival time (for devices without a clock).
    @discardableResult
    public func send(samples: [Float], firstSampleTime: Double?) throws -> ProducerReply {
        try send(json: header(valueCount: samples.count, firstSampleTime: firstSampleTime), binary: SamplePacking.pack(samples))
    }

    /// Sends a raw frame (its JSON and optional binary samples) and returns the reply. A
    /// frame refused by the rate limit is sent again after a short pause (up to 50 times).
    /// Frames still in flight from `submit` are answered first (their replies are dropped:
    /// call `flush()` before to keep them).
    /// A frame answered "unavailable" (ingestion cannot reach the bus right now: nothing was
    /// accepted) is sent again with backoff (0.1 s doubling to 2 s) for up to
    /// `retryUnavailableSeconds`; after that its reply says "unavailable".
    public func send(json: Data, binary: Data?) throws -> ProducerReply {
        _ = try flush()
        var reply = try sendOnce(json: json, binary: binary)
        var tries = 0
        let giveUp = Date().addingTimeInterval(retryUnavailableSeconds)
        var backoff = 0.1
        while true {
            if reply.reason == "rate-limit" && tries < 50 {
                Thread.sleep(forTimeInterval: 0.01 * Double(min(tries + 1, 10)))
                tries += 1
            } else if reply.reason == ProducerReply.unavailable && Date() < giveUp {
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 2)
                unavailableRetries += 1
            } else {
                return reply
            }
            reply = try sendOnce(json: json, binary: binary)
        }
    }

    /// Sends one frame without waiting for its reply while fewer than `window` frames are in
    /// flight; returns the replies that arrived meanwhile (oldest first). A frame refused
    /// by the rate limit is not sent again: its reply says so, and the producer pauses
    /// briefly before the next frame.
    public func submit(samples: [Float], firstSampleTime: Double?) throws -> [ProducerReply] {
        try submit(json: header(valueCount: samples.count, firstSampleTime: firstSampleTime), binary: SamplePacking.pack(samples))
    }

    /// `submit` for a raw frame.
    public func submit(json: Data, binary: Data?) throws -> [ProducerReply] {
        var replies: [ProducerReply] = []
        while framesInFlight >= window { replies.append(try receiveReply(wait: true)!) }
        try transmit(json: json, binary: binary)
        while let reply = try receiveReply(wait: false) { replies.append(reply) }
        if replies.contains(where: { $0.reason == "rate-limit" }) { Thread.sleep(forTimeInterval: 0.01) }
        // Ingestion cannot reach the bus: back off (0.1 s doubling to 2 s) before the next frame.
        if replies.contains(where: { $0.reason == ProducerReply.unavailable }) {
            Thread.sleep(forTimeInterval: submitBackoff)
            submitBackoff = min(submitBackoff * 2, 2)
        } else if !replies.isEmpty {
            submitBackoff = 0.1
        }
        return replies
    }

    /// Waits for the replies to every frame in flight.
    public func flush() throws -> [ProducerReply] {
        var replies: [ProducerReply] = []
        while framesInFlight > 0 { replies.append(try receiveReply(wait: true)!) }
        return replies
    }

    private func sendOnce(json: Data, binary: Data?) throws -> ProducerReply {
        try transmit(json: json, binary: binary)
        return try receiveReply(wait: true)!
    }

    private func transmit(json: Data, binary: Data?) throws {
        var parts = [json]
        if let binary { parts.append(binary) }
        do {
            try socket.send(parts)
        } catch {
            guard error.isAgain else { throw error }
            try reconnect()
            throw SpasmError.producerTimeout
        }
        framesInFlight += 1
        framesSent += 1
    }

    /// The next reply, in order; nil when `wait` is false and none has arrived.
    private func receiveReply(wait: Bool) throws -> ProducerReply? {
        guard framesInFlight > 0 else { return nil }
        var received: [Data]?
        do {
            received = try socket.receiveMultipart(dontWait: !wait)
        } catch {
            guard error.isAgain else { throw error }
        }
        guard let parts = received else {
            if !wait { return nil }
            // No answer in time: start afresh, so a late reply cannot be taken for another frame's.
            try reconnect()
            throw SpasmError.producerTimeout
        }
        framesInFlight -= 1
        // A DEALER peer's reply is [reply JSON] (or [empty][reply JSON] if it sent a delimiter).
        guard let json = parts.last else { throw SpasmError.producerTimeout }
        return try ProducerReply.decode(json)
    }

    private func reconnect() throws {
        socket.close()
        framesInFlight = 0
        socket = try Self.connect(context: context, endpoint: endpoint, security: security, timeout: timeoutMilliseconds)
    }

    /// Waits for the frames still in flight (up to the timeout), then closes the socket (and
    /// the context when the producer made it).
    public func close() {
        if framesInFlight > 0 { _ = try? flush() }
        socket.close()
        if ownsContext { context.terminate() }
    }

    deinit { close() }
}

extension SpasmError.Code {
    /// The ingestion service did not answer a producer in time.
    public static let producerTimeout = SpasmError.Code("producer.timeout")
}

extension SpasmError {
    static let producerTimeout = SpasmError(.producerTimeout, "spasmwatch-sensor did not answer; is it running?")
}
