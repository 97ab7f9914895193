import Foundation
import SpasmSchema

/// Watches heartbeats and raises an alert when worn sensors go silent (their `lastFrameTime`
/// in sensor ingestion's heartbeat is older than `sensorSilentAfter`) or a service stops
/// heartbeating for `serviceSilentAfter`.
///
/// Only sensors that are worn and not test sensors (`SensorStatus.watched`) count: a quick
/// test, a replay or a demo never pages anyone. One alert lists every silent sensor; when
/// more go silent later, a new alert lists the new set. A sensor that comes back and falls
/// silent again is new again. The sensors known are those the latest heartbeat of each
/// ingestion instance lists, so a sensor forgotten (`spasmwatch sensors forget ID`) or
/// expired is no longer watched; sensors of an instance that is itself down are covered by
/// its service-down alert.
public struct Watchdog: Sendable {
    public let sensorSilentAfter: Double
    public let serviceSilentAfter: Double
    /// Instances not to watch (notify itself).
    public let ignoring: Set<String>

    private var lastBeat: [String: (service: String, time: Double)] = [:]
    /// The sensors each instance's latest heartbeat listed.
    private var sensorsByInstance: [String: [SensorStatus]] = [:]
    /// Silent sensors already told about, with the last frame time they were silent from.
    private var reportedSilent: [String: Double] = [:]
    private var downInstances: Set<String> = []

    /// Services that should be running (`expectedServices`): one never heard from by
    /// `startedAt + startGrace` raises a service-down alert too.
    public let expected: Set<String>
    public let startedAt: Double
    public let startGrace: Double
    private var neverSeenReported: Set<String> = []

    /// At most this many sensors are named in an alert's title and group key (the message names them all).
    static let namedInTitle = 5

    public init(
        sensorSilentAfter: Double, serviceSilentAfter: Double, ignoring: Set<String> = [],
        expected: Set<String> = [], startedAt: Double = 0, startGrace: Double = 60
    ) {
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
        if let sensors = heartbeat.sensors {
            sensorsByInstance[heartbeat.instance] = sensors
        }
    }

    /// Alerts for what has gone silent since the last check.
    public mutating func check(now: Double) -> [Alert] {
        var alerts: [Alert] = []
        for (instance, beat) in lastBeat.sorted(by: { $0.key < $1.key })
        where now - beat.time > serviceSilentAfter && !downInstances.contains(instance) {
            downInstances.insert(instance)
            let name = instance == beat.service || beat.service.hasSuffix(instance) ? beat.service : "\(beat.service) (\(instance))"
            alerts.append(
                Alert(
                    kind: "service-down", severity: .warning, groupKey: "service-down:\(beat.service)",
                    title: "\(name) has stopped",
                    message: "\(name) has not sent a heartbeat for \(Int(now - beat.time)) seconds.",
                    at: beat.time))
        }
        if now - startedAt > startGrace {
            let heard = Set(lastBeat.values.map(\.service))
            for service in expected.subtracting(heard).subtracting(neverSeenReported).sorted() {
                neverSeenReported.insert(service)
                alerts.append(
                    Alert(
                        kind: "service-down", severity: .warning, groupKey: "service-down:\(service)",
                        title: "\(service) is not running",
                        message: "\(service) has not sent a heartbeat since notification started \(Int(now - startedAt)) seconds ago.",
                        at: startedAt))
            }
        }
        if let alert = checkSensors(now: now) { alerts.append(alert) }
        return alerts
    }

    /// One alert for the worn sensors silent now, when any of them is newly silent. Sensors
    /// that stopped at about the same time (within `togetherSeconds` of the threshold: a power
    /// cut, a hub restarted, out of range together) are in the same alert, even when a check
    /// falls between their last frames.
    private mutating func checkSensors(now: Double) -> Alert? {
        let together = min(10, sensorSilentAfter / 2)
        var silent: [String: SensorStatus] = [:]
        for (instance, sensors) in sensorsByInstance where !downInstances.contains(instance) {
            for sensor in sensors where sensor.watched && now - sensor.lastFrameTime > sensorSilentAfter - together {
                silent[sensor.sensorId] = sensor
            }
        }
        // Back (a newer frame), forgotten, or no longer silent: told about again if it falls silent.
        reportedSilent = reportedSilent.filter { id, since in silent[id].map { $0.lastFrameTime == since } ?? false }
        let fresh = silent.filter { reportedSilent[$0.key] == nil && now - $0.value.lastFrameTime > sensorSilentAfter }
        guard !fresh.isEmpty else { return nil }
        for (id, sensor) in silent { reportedSilent[id] = sensor.lastFrameTime }
        return Self.silentAlert(silent.values.sorted { $0.sensorId < $1.sensorId }, now: now)
    }

    /// "Sensor ankle-r is silent", or "3 sensors are silent: ankle-r, calf-l, wrist-l".
    static func silentAlert(_ sensors: [SensorStatus], now: Double) -> Alert {
        let ids = sensors.map(\.sensorId)
        let named = ids.prefix(namedInTitle).joined(separator: ", ") + (ids.count > namedInTitle ? " and \(ids.count - namedInTitle) more" : "")
        let advice = "battery, switched off, or out of range? A sensor no longer used: spasmwatch sensors forget ID."
        if let only = sensors.first, sensors.count == 1 {
            return Alert(
                kind: "sensor-silent", severity: .warning, groupKey: "sensor-silent:\(only.sensorId)",
                title: "Sensor \(only.sensorId) is silent",
                message:
                    "Sensor \(only.sensorId) (\(only.placement.displayName)) has sent nothing for \(Int(now - only.lastFrameTime)) seconds: \(advice)",
                at: only.lastFrameTime, sensorId: only.sensorId, site: only.placement)
        }
        let each = sensors.map { "\($0.sensorId) (\($0.placement.displayName), \(Int(now - $0.lastFrameTime)) s)" }.joined(separator: ", ")
        // The key names the set: a different set is a different notification.
        let key =
            ids.count <= namedInTitle
            ? ids.joined(separator: ",")
            : ids.prefix(namedInTitle).joined(separator: ",") + ",+\(ids.count - namedInTitle):\(String(fnv(ids.joined(separator: ",")), radix: 16))"
        let sites = Set(sensors.map(\.placement))
        return Alert(
            kind: "sensor-silent", severity: .warning, groupKey: "sensor-silent:\(key)",
            title: "\(ids.count) sensors are silent: \(named)",
            message: "\(ids.count) worn sensors have sent nothing: \(each). \(advice.prefix(1).uppercased() + advice.dropFirst())",
            at: sensors.map(\.lastFrameTime).max() ?? now, site: sites.count == 1 ? sites.first : nil)
    }

    static func fnv(_ text: String) -> UInt64 {
        var h: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 1_099_511_628_211 }
        return h
    }
}
