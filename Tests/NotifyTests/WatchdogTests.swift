import Foundation
import SpasmNotify
import SpasmSchema
import Testing

@Suite("Watchdog")
struct WatchdogTests {
    static func beat(_ service: String, sensors: [SensorStatus]? = nil) -> Heartbeat {
        Heartbeat(service: "spasmwatch-\(service)", instance: service, pid: 1, version: "0", uptimeSeconds: 1, sensors: sensors)
    }

    static func sensor(lastFrame: Double) -> SensorStatus {
        SensorStatus(sensorId: "ankle-r", kind: .imu, placement: .rightAnkle, sampleRate: 100, lastFrameTime: lastFrame,
                     framesAccepted: 10, framesRejected: 0, samplesLost: 0, maxJitterMs: 0)
    }

    @Test func aSilentSensorRaisesOneAlertUntilItComesBack() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 1000)
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor(lastFrame: 1000)]), at: 1000)
        #expect(watchdog.check(now: 1030).isEmpty)
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor(lastFrame: 1000)]), at: 1031)
        let alerts = watchdog.check(now: 1031)
        #expect(alerts.map(\.kind) == ["sensor-silent"])
        #expect(alerts.first?.site == .rightAnkle)
        #expect(alerts.first?.sensorId == "ankle-r")
        #expect(watchdog.check(now: 1032).isEmpty, "one alert per silence")
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor(lastFrame: 1040)]), at: 1040)
        #expect(watchdog.check(now: 1041).isEmpty)
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor(lastFrame: 1040)]), at: 1075)
        #expect(watchdog.check(now: 1075).count == 1, "a new silence is a new alert")
    }

    @Test func aServiceThatStopsHeartbeatingRaisesAnAlert() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 10, ignoring: ["notify"])
        watchdog.observe(Self.beat("detect"), at: 100)
        watchdog.observe(Self.beat("notify"), at: 100)
        #expect(watchdog.check(now: 110).isEmpty)
        let alerts = watchdog.check(now: 111)
        #expect(alerts.map(\.groupKey) == ["service-down:spasmwatch-detect"])
        #expect(alerts.first?.severity == .warning)
        #expect(watchdog.check(now: 200).isEmpty)
    }

    @Test func anExpectedServiceNeverHeardFromRaisesAnAlertAfterTheGrace() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 100,
                                expected: ["spasmwatch-detect", "spasmwatch-store"], startedAt: 0, startGrace: 30)
        watchdog.observe(Self.beat("store"), at: 1)
        #expect(watchdog.check(now: 30).isEmpty, "still within the grace")
        watchdog.observe(Self.beat("store"), at: 31)
        let alerts = watchdog.check(now: 31)
        #expect(alerts.map(\.groupKey) == ["service-down:spasmwatch-detect"])
        #expect(alerts.first?.title == "spasmwatch-detect is not running")
        #expect(watchdog.check(now: 35).isEmpty, "said once")
    }
}
