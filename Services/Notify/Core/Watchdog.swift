import Foundation
import SpasmSchema

/// Watches heartbeats and raises an alert when a sensor goes silent (its `lastFrameTime`
/// in sensor ingestion's heartbeat is older than `sensorSilentAfter`) or a service stops
/// heartbeating for `serviceSilentAfter`. One alert per silence; when the sensor or
/// service comes back, the next silence raises a new one.
public struct Watchdog: Sendable {
    public let sensorSilentAfter: Double
    public let serviceSilentAfter: Double
    /// Instances not to watch (notify itself).
    public let ignoring: Set<String>

    private var lastBeat: [String: (service: String, time: Double)] = [:]
    private var sensors: [String: SensorStatus] = [:]
    private var silentSensors: Set<String> = []
    private var downInstances: Set<String> = []

    /// Services that should be running (`expectedServices`): one never heard from by
    /// `startedAt + startGrace` raises a service-down alert too.
    public let expected: Set<String>
    public let startedAt: Double
    public let startGrace: Double
    private var neverSeenReported: Set<String> = []

    public init(sensorSilentAfter: Double, serviceSilentAfter: Double, ignoring: Set<String> = [],
                expected: Set<String> = [], startedAt: Double = 0, startGrace: Double = 60) {
        self.sensorSilentAfter = sensorSilentAfter
        self.serviceSilentAfter = serviceSilentAfter
        self.ignoring = ignoring
        self.expected = expected
        self.startedAt = startedAt
        self.startGrace = startGrace
    }

    /// Takes in one heartbeat received at `time`.
    public mutating func observe(_ heartbeat: Heartbeat, at time: Double) {
        guard !ignoring.contains(heartbeat.instance) else { return }
        lastBeat[heartbeat.instance] = (heartbeat.service, time)
        downInstances.remove(heartbeat.instance)
        for sensor in heartbeat.sensors ?? [] {
            if let known = sensors[sensor.sensorId], sensor.lastFrameTime > known.lastFrameTime {
                silentSensors.remove(sensor.sensorId)
            }
            sensors[sensor.sensorId] = sensor
        }
    }

    /// Alerts for what has gone silent since the last check.
    public mutating func check(now: Double) -> [Alert] {
        var alerts: [Alert] = []
        for (instance, beat) in lastBeat.sorted(by: { $0.key < $1.key })
        where now - beat.time > serviceSilentAfter && !downInstances.contains(instance) {
            downInstances.insert(instance)
            let name = instance == beat.service || beat.service.hasSuffix(instance) ? beat.service : "\(beat.service) (\(instance))"
            alerts.append(Alert(kind: "service-down", severity: .warning, groupKey: "service-down:\(beat.service)",
                                title: "\(name) has stopped",
                                message: "\(name) has not sent a heartbeat for \(Int(now - beat.time)) seconds.",
                                at: beat.time))
        }
        if now - startedAt > startGrace {
            let heard = Set(lastBeat.values.map(\.service))
            for service in expected.subtracting(heard).subtracting(neverSeenReported).sorted() {
                neverSeenReported.insert(service)
                alerts.append(Alert(kind: "service-down", severity: .warning, groupKey: "service-down:\(service)",
                                    title: "\(service) is not running",
                                    message: "\(service) has not sent a heartbeat since notification started \(Int(now - startedAt)) seconds ago.",
                                    at: startedAt))
            }
        }
        for (id, sensor) in sensors.sorted(by: { $0.key < $1.key })
        where now - sensor.lastFrameTime > sensorSilentAfter && !silentSensors.contains(id) {
            // A sensor whose ingestion service is itself down is covered by that alert.
            silentSensors.insert(id)
            alerts.append(Alert(kind: "sensor-silent", severity: .warning, groupKey: "sensor-silent:\(id)",
                                title: "Sensor \(id) is silent",
                                message: "Sensor \(id) (\(sensor.placement.displayName)) has sent nothing for \(Int(now - sensor.lastFrameTime)) seconds: battery, switched off, or out of range?",
                                at: sensor.lastFrameTime, sensorId: id, site: sensor.placement))
        }
        return alerts
    }
}
