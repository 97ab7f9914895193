import Foundation
import ServiceLifecycle
import SpasmBus
import SpasmSchema

/// Publishes a heartbeat every interval on `heartbeat.<service>`: service, instance, pid,
/// version, uptime, the service's counters and a few facts for `spasmwatch status`.
public struct HeartbeatService: Service {
    let service: String
    let publisher: BusPublisher
    let counters: CounterSet
    let interval: Duration
    let started = Date()
    /// Extra facts and sensors, read at each beat.
    let details: @Sendable () -> (info: [String: String], sensors: [SensorStatus]?)

    public init(service: String, publisher: BusPublisher, counters: CounterSet, intervalSeconds: Double = 1,
                details: @escaping @Sendable () -> (info: [String: String], sensors: [SensorStatus]?) = { ([:], nil) }) {
        self.service = service
        self.publisher = publisher
        self.counters = counters
        self.interval = .milliseconds(Int64(intervalSeconds * 1000))
        self.details = details
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            beat()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Publishes one heartbeat now.
    public func beat() {
        let extra = details()
        let heartbeat = Heartbeat(service: service, instance: publisher.source, pid: getpid(),
                                  version: SpasmWatchVersion.string,
                                  uptimeSeconds: Date().timeIntervalSince(started),
                                  counters: counters.snapshot, info: extra.info, sensors: extra.sensors)
        _ = try? publisher.publish(heartbeat, topic: Topic.heartbeat(service))
    }
}
