import Foundation
import SpasmBus
import SpasmSchema
import ZeroMQ

/// The Swift SDK for sending a wearable's samples to SpasmWatch's sensor ingestion
/// (`spasmwatch-sensor`). Each frame gets a reply: accepted, or an error that says what is
/// wrong and what is allowed. Synchronous and not `Sendable`: like its ZeroMQ socket, one
/// producer belongs to one thread. The simulator and CSV replay use it.
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
        public var kind: SensorSignal
        public var placement: BodySite
        public var sampleRate: Double
        /// "g" or "m/s2" for imu, "mV" or "uV" for emg.
        public var unit: String
        public var producerName: String

        public init(sensorId: String, kind: SensorSignal, placement: BodySite, sampleRate: Double, unit: String? = nil,
                    producerName: String = "swift-sdk") {
            self.sensorId = sensorId
            self.kind = kind
            self.placement = placement
            self.sampleRate = sampleRate
            self.unit = unit ?? (kind == .imu ? "g" : "mV")
            self.producerName = producerName
        }
    }

    /// The ingestion service did not answer in time.
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String { "spasmwatch-sensor did not answer; is it running?" }
    }

    public let sensor: Sensor
    public private(set) var framesSent: UInt64 = 0
    private let context: ZMQContext
    private let ownsContext: Bool
    private let endpoint: String
    private let security: BusSecurity?
    private let timeoutMilliseconds: Int32
    private var socket: ZMQSocket

    /// Connects to the producer endpoint (`Endpoints.sensorProducers`; `spasmwatch status`
    /// prints it). `security` is needed for a tcp endpoint (CURVE).
    public init(endpoint: String, sensor: Sensor, security: BusSecurity? = nil, context: ZMQContext? = nil,
                timeoutMilliseconds: Int32 = 5000) throws {
        self.sensor = sensor
        self.endpoint = endpoint
        self.security = security
        self.context = context ?? ZMQContext()
        self.ownsContext = context == nil
        self.timeoutMilliseconds = timeoutMilliseconds
        socket = try Self.connect(context: self.context, endpoint: endpoint, security: security, timeout: timeoutMilliseconds)
    }

    private static func connect(context: ZMQContext, endpoint: String, security: BusSecurity?, timeout: Int32) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .req)
        try socket.setReceiveTimeout(milliseconds: timeout)
        try socket.setSendTimeout(milliseconds: timeout)
        try socket.setReconnectInterval(milliseconds: 100, max: 1000)
        if let security { try security.secureClient(socket) }
        try socket.connect(endpoint)
        return socket
    }

    /// Sends one frame of interleaved samples (3 channels for imu, 1 for emg) as a binary
    /// Float32 frame and waits for the reply. `firstSampleTime` nil: the service uses the
    /// arrival time (for devices without a clock).
    @discardableResult
    public func send(samples: [Float], firstSampleTime: Double?) throws -> ProducerReply {
        let channels = sensor.kind == .imu ? 3 : 1
        let frame = ProducerFrame(sensorId: sensor.sensorId, kind: sensor.kind.rawValue, placement: sensor.placement.rawValue,
                                  sampleRate: sensor.sampleRate, channels: channels, unit: sensor.unit,
                                  firstSampleTime: firstSampleTime, sampleCount: samples.count / channels,
                                  producer: sensor.producerName, seq: framesSent)
        return try send(json: try JSONEncoder().encode(frame), binary: SamplePacking.pack(samples))
    }

    /// Sends a raw frame (its JSON and optional binary samples) and returns the reply. A
    /// frame refused by the rate limit is sent again after a short pause (up to 50 times).
    public func send(json: Data, binary: Data?) throws -> ProducerReply {
        var reply = try sendOnce(json: json, binary: binary)
        var tries = 0
        while reply.reason == "rate-limit" && tries < 50 {
            Thread.sleep(forTimeInterval: 0.01 * Double(min(tries + 1, 10)))
            reply = try sendOnce(json: json, binary: binary)
            tries += 1
        }
        return reply
    }

    private func sendOnce(json: Data, binary: Data?) throws -> ProducerReply {
        var parts = [json]
        if let binary { parts.append(binary) }
        do {
            try socket.send(parts)
            guard let reply = try socket.receiveMultipart(), let first = reply.first else {
                // A REQ socket that lost its reply is stuck: start a fresh one.
                socket.close()
                socket = try Self.connect(context: context, endpoint: endpoint, security: security, timeout: timeoutMilliseconds)
                throw Timeout()
            }
            framesSent += 1
            return try JSONDecoder().decode(ProducerReply.self, from: first)
        } catch let error as ZMQError where error.isAgain {
            socket.close()
            socket = try Self.connect(context: context, endpoint: endpoint, security: security, timeout: timeoutMilliseconds)
            throw Timeout()
        }
    }

    /// Closes the socket (and the context when the producer made it).
    public func close() {
        socket.close()
        if ownsContext { context.terminate() }
    }

    deinit { close() }
}
