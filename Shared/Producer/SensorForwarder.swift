import Foundation
import SpasmBus
import SpasmSchema
import ZeroMQ

/// Hands frames to sensor ingestion (the phone's for spasmwatch-manual, DIY sensors' over
/// MQTT for spasmwatch-mqtt) exactly as any other producer sends them:
/// through the Swift SDK's `SensorProducer` to the producer endpoint
/// (`Endpoints.sensorProducers`), so the same validator, limits and counters apply and
/// `spasmwatch sensors` lists the phone like any device. The producer's socket lives on one
/// dedicated thread (one socket, one thread); async callers wait for their reply without
/// blocking the cooperative pool.
public final class SensorForwarder: Sendable {
    struct Job: Sendable {
        var frames: [(json: Data, binary: Data)]
        var done: CheckedContinuation<[ProducerReply], Never>
    }

    private let queue = JobQueue()
    private let thread: SocketThread

    /// `name`: the name of its thread.
    public init(endpoint: String, security: BusSecurity?, name: String = "phone-forwarder") {
        let queue = self.queue
        thread = SocketThread(name: name) {
            var producer: SensorProducer?
            while let job = queue.next() {
                var replies: [ProducerReply] = []
                for frame in job.frames {
                    do {
                        if producer == nil {
                            // The SDK's own socket; its Sensor description is not used for raw frames.
                            producer = try SensorProducer(
                                endpoint: endpoint,
                                sensor: .init(
                                    sensorId: "phone", kind: .imu,
                                    placement: .rightThigh, sampleRate: 60,
                                    producerName: "phone-page"),
                                security: security)
                            producer?.retryUnavailableSeconds = 5
                        }
                        replies.append(try producer!.send(json: frame.json, binary: frame.binary))
                    } catch {
                        producer?.close()
                        producer = nil
                        replies.append(ProducerReply(ok: false, error: "\(error)", reason: ProducerReply.unavailable))
                    }
                }
                job.done.resume(returning: replies)
            }
            producer?.close()
        }
    }

    /// Sends the frames in order; one reply each ("unavailable" when ingestion did not answer).
    public func send(_ frames: [(json: Data, binary: Data)]) async -> [ProducerReply] {
        if frames.isEmpty { return [] }
        return await withCheckedContinuation { continuation in
            queue.put(Job(frames: frames, done: continuation))
        }
    }

    public func stop() async {
        queue.close()
        await thread.joinAsync()
    }

    /// Jobs for the forwarder's thread.
    final class JobQueue: @unchecked Sendable {
        // Safe: `jobs` and `closed` are only touched while `condition` is locked.
        private let condition = NSCondition()
        private var jobs: [Job] = []
        private var closed = false

        func put(_ job: Job) {
            condition.lock()
            if closed {
                condition.unlock()
                job.done.resume(
                    returning: job.frames.map { _ in ProducerReply(ok: false, error: "shutting down", reason: ProducerReply.unavailable) })
                return
            }
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }

        /// The next job; nil once closed and drained.
        func next() -> Job? {
            condition.lock()
            defer { condition.unlock() }
            while jobs.isEmpty && !closed { condition.wait() }
            return jobs.isEmpty ? nil : jobs.removeFirst()
        }

        func close() {
            condition.lock()
            closed = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
