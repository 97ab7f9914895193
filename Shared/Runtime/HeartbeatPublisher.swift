import Foundation
import SpasmBus
import SpasmSchema

/// Publishes one heartbeat on `heartbeat.<service>` per `send()`: service, instance, pid,
/// version, uptime, the service's counters and a few facts for `spasmwatch status`.
/// `ServiceEnvironment.heartbeat` runs it every `bus.heartbeatSeconds` in a `PeriodicService`.
public struct HeartbeatPublisher: Sendable {
    let service: String
    let publisher: BusPublisher
    let counters: CounterSet
    let started = Date()
    /// Extra facts and sensors, read at each beat.
    let details: @Sendable () -> (info: [String: String], sensors: [SensorStatus]?)

    public init(
        service: String, publisher: BusPublisher, counters: CounterSet,
        details: @escaping @Sendable () -> (info: [String: String], sensors: [SensorStatus]?) = { ([:], nil) }
    ) {
        self.service = service
        self.publisher = publisher
        self.counters = counters
        self.details = details
    }

    /// Publishes one heartbeat now.
    public func send() {
        let extra = details()
        let heartbeat = Heartbeat(
            service: service, instance: publisher.source, pid: getpid(),
            version: SpasmWatchVersion.string,
            uptimeSeconds: Date().timeIntervalSince(started),
            counters: counters.snapshot, info: extra.info, sensors: extra.sensors)
        _ = try? publisher.publish(heartbeat, topic: Topic.heartbeat(service))
    }
}
