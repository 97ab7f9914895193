import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmProducer
import SpasmSchema
import SpasmSimulation
import SpasmSync
import Synchronization

/// One simulated wearable: where it sits and what its signal contains.
struct SimulatedSensor: Sendable {
    var sensorId: String
    var placement: BodySite
    var scenario: SimulationScenario
    /// Samples per frame.
    var frameSamples: Int
}

/// Drives simulated sensors through the real producer endpoint (with `SensorProducer`,
/// as any external producer would), each on its own thread, and reports every injected
/// event so a person or a test knows the truth.
enum SimulationRunner {
    /// `speed`: 1 = real time, 10 = ten times faster, nil = as fast as ingestion takes.
    static func run(
        sensors: [SimulatedSensor], endpoint: String, security: BusSecurity?, speed: Double?,
        stop: StopFlag, report: @escaping @Sendable (String) -> Void
    ) async -> [String: Int] {
        let wallStart = Date().timeIntervalSince1970
        // Faster than real time, the signal is dated in the past so that it ends now: ingestion
        // refuses samples dated more than 10 minutes ahead of its clock.
        let span = sensors.compactMap(\.scenario.durationSeconds).max() ?? 0
        let base = wallStart - span * (1 - 1 / max(1, speed ?? .infinity))
        var threads: [SocketThread] = []
        let sent = Locked<[String: Int]>([:])
        for sensor in sensors {
            threads.append(
                SocketThread(name: "sim-\(sensor.sensorId)") {
                    let producer: SensorProducer
                    do {
                        producer = try SensorProducer(
                            endpoint: endpoint,
                            sensor: .init(
                                sensorId: sensor.sensorId, kind: sensor.scenario.kind,
                                placement: sensor.placement, sampleRate: sensor.scenario.sampleRate, producerName: "simulator", test: true),
                            security: security)
                    } catch {
                        report("\(sensor.sensorId): cannot connect: \(error)")
                        return
                    }
                    defer { producer.close() }
                    var simulator = SignalSimulator(scenario: sensor.scenario)
                    var frames = 0
                    while !stop.isSet && !simulator.isFinished {
                        let chunk = simulator.nextChunk(count: sensor.frameSamples)
                        if chunk.count == 0 { break }
                        for event in chunk.newEvents {
                            report(
                                "injected \(event.kind.rawValue) on \(sensor.sensorId) (\(sensor.placement.rawValue)) at \(clock(base + event.start))–\(clock(base + event.end)) [stream \(String(format: "%.2f", event.start))–\(String(format: "%.2f", event.end)) s]"
                            )
                        }
                        if let speed {
                            let due = wallStart + (chunk.startTime + Double(chunk.count) / sensor.scenario.sampleRate) / speed
                            let wait = due - Date().timeIntervalSince1970
                            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                        }
                        do {
                            let reply = try producer.send(samples: chunk.samples, firstSampleTime: base + chunk.startTime)
                            if !reply.ok { report("\(sensor.sensorId): frame rejected: \(reply.error ?? "?")") }
                            frames += 1
                        } catch {
                            report("\(sensor.sensorId): \(error)")
                        }
                    }
                    sent.withLock { $0[sensor.sensorId] = frames }
                })
        }
        for thread in threads { await thread.joinAsync() }
        return sent.withLock { $0 }
    }

    static func clock(_ t: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SS"
        return formatter.string(from: Date(timeIntervalSince1970: t))
    }
}

/// A thread-safe stop flag.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// `--demo`: three simulated wearables in real time, with spasms every half minute or so.
struct DemoSensors: Service {
    let endpoint: String
    let security: BusSecurity?
    let logger: Logger

    func run() async throws {
        let sensors = [
            SimulatedSensor(
                sensorId: "demo-ankle-r", placement: .rightAnkle,
                scenario: {
                    var s = SimulationScenario.demo(kind: .imu, seed: 11)
                    s.sampleRate = 100
                    s.placement = .ankle
                    s.side = "right"
                    return s
                }(),
                frameSamples: 25),
            SimulatedSensor(
                sensorId: "demo-wrist-l", placement: .leftWrist,
                scenario: {
                    var s = SimulationScenario.demo(kind: .imu, seed: 12)
                    s.sampleRate = 50
                    s.placement = .wrist
                    s.side = "left"
                    return s
                }(),
                frameSamples: 25),
            SimulatedSensor(
                sensorId: "demo-calf-l", placement: .leftCalf,
                scenario: {
                    var s = SimulationScenario.demo(kind: .emg, seed: 13)
                    s.sampleRate = 1000
                    s.placement = .calf
                    s.side = "left"
                    return s
                }(),
                frameSamples: 100),
        ]
        let stop = StopFlag()
        try? await Task.sleep(for: .milliseconds(500))  // the endpoint binds first
        let logger = self.logger
        await withGracefulShutdownHandler {
            _ = await SimulationRunner.run(sensors: sensors, endpoint: endpoint, security: security, speed: 1, stop: stop) { line in
                logger.info("demo: \(line)")
            }
        } onGracefulShutdown: {
            stop.set()
        }
    }
}
