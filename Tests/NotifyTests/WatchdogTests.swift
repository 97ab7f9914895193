import Foundation
import SpasmNotify
import SpasmSchema
import Testing

@Suite("Watchdog")
struct WatchdogTests {
    static func beat(_ service: String, sensors: [SensorStatus]? = nil) -> Heartbeat {
        Heartbeat(service: "spasmwatch-\(service)", instance: service, pid: 1, version: "0", uptimeSeconds: 1, sensors: sensors)
    }

    static func sensor(
        _ id: String = "ankle-r", lastFrame: Double, worn: Bool? = true, test: Bool? = nil,
        placement: BodySite = .rightAnkle
    ) -> SensorStatus {
        SensorStatus(
            sensorId: id, kind: .imu, placement: placement, sampleRate: 100, lastFrameTime: lastFrame,
            framesAccepted: 10, framesRejected: 0, samplesLost: 0, maxJitterMs: 0, worn: worn, test: test)
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
        var watchdog = Watchdog(
            sensorSilentAfter: 30, serviceSilentAfter: 100,
            expected: ["spasmwatch-detect", "spasmwatch-store"], startedAt: 0, startGrace: 30)
        watchdog.observe(Self.beat("store"), at: 1)
        #expect(watchdog.check(now: 30).isEmpty, "still within the grace")
        watchdog.observe(Self.beat("store"), at: 31)
        let alerts = watchdog.check(now: 31)
        #expect(alerts.map(\.groupKey) == ["service-down:spasmwatch-detect"])
        #expect(alerts.first?.title == "spasmwatch-detect is not running")
        #expect(watchdog.check(now: 35).isEmpty, "said once")
    }

    @Test func onlyWornSensorsThatAreNotTestSensorsRaiseTheAlarm() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 10_000)
        let sensors = [
            Self.sensor("curl-calf", lastFrame: 1000, worn: false),
            Self.sensor("replay-1", lastFrame: 1000, worn: true, test: true),
            Self.sensor("old-build", lastFrame: 1000, worn: nil),
            Self.sensor("wrist-l", lastFrame: 1000, worn: true, placement: .leftWrist),
        ]
        watchdog.observe(Self.beat("sensor", sensors: sensors), at: 1100)
        let alerts = watchdog.check(now: 1100)
        #expect(alerts.map(\.groupKey) == ["sensor-silent:wrist-l"], "a sensor not yet worn, a test sensor, and one without the flag never page")
        #expect(alerts.first?.title == "Sensor wrist-l is silent")
        #expect(watchdog.check(now: 5000).isEmpty)
    }

    @Test func oneAlertListsEverySilentSensorAndANewSetIsANewAlert() throws {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 10_000)
        var sensors = (0..<2000).map { Self.sensor(String(format: "s%04d", $0), lastFrame: 1000) }
        sensors.append(Self.sensor("late", lastFrame: 1050, placement: .leftCalf))
        watchdog.observe(Self.beat("sensor", sensors: sensors), at: 1040)
        let first = watchdog.check(now: 1040)
        #expect(first.count == 1, "2,000 silent sensors are one alert, not 2,000")
        let alert = try #require(first.first)
        #expect(alert.kind == "sensor-silent")
        #expect(alert.title == "2000 sensors are silent: s0000, s0001, s0002, s0003, s0004 and 1995 more")
        #expect(alert.message.contains("s1999 (right ankle, 40 s)"))
        #expect(alert.sensorId == nil)
        #expect(alert.site == .rightAnkle)
        for t in 1041...1079 { #expect(watchdog.check(now: Double(t)).isEmpty, "nothing new at \(t)") }
        // One more goes silent: a new alert lists the new set (a different group key).
        let second = watchdog.check(now: 1081)
        #expect(second.count == 1)
        #expect(second.first?.title.hasPrefix("2001 sensors are silent") == true)
        #expect(second.first?.message.contains("late (left calf, 31 s)") == true)
        #expect(second.first?.groupKey != alert.groupKey)
        #expect(watchdog.check(now: 1200).isEmpty)
    }

    @Test func aSensorThatComesBackAndFallsSilentAgainIsToldAgain() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 10_000)
        let quiet = [Self.sensor("a", lastFrame: 1000), Self.sensor("b", lastFrame: 1000)]
        watchdog.observe(Self.beat("sensor", sensors: quiet), at: 1031)
        #expect(watchdog.check(now: 1031).map(\.groupKey) == ["sensor-silent:a,b"])
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor("a", lastFrame: 1040), Self.sensor("b", lastFrame: 1000)]), at: 1040)
        #expect(watchdog.check(now: 1040).isEmpty, "a came back; b is still the same silence")
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor("a", lastFrame: 1040), Self.sensor("b", lastFrame: 1000)]), at: 1071)
        let again = watchdog.check(now: 1071)
        #expect(again.map(\.groupKey) == ["sensor-silent:a,b"])
        #expect(again.first?.title == "2 sensors are silent: a, b")
    }

    @Test func aForgottenSensorIsNoLongerWatched() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 10_000)
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor("gone", lastFrame: 1000)]), at: 1010)
        #expect(watchdog.check(now: 1010).isEmpty)
        // `spasmwatch sensors forget gone`: the next heartbeat no longer lists it.
        watchdog.observe(Self.beat("sensor", sensors: []), at: 1020)
        #expect(watchdog.check(now: 1100).isEmpty)
    }

    @Test func sensorsOfAnIngestionServiceThatIsDownAreCoveredByItsAlert() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 10)
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor(lastFrame: 1000)]), at: 1000)
        let alerts = watchdog.check(now: 1040)
        #expect(alerts.map(\.kind) == ["service-down"])
    }

    @Test func sensorsThatStopTogetherAreOneAlertEvenWhenACheckFallsBetweenThem() {
        var watchdog = Watchdog(sensorSilentAfter: 30, serviceSilentAfter: 10_000)
        watchdog.observe(Self.beat("sensor", sensors: [Self.sensor("a", lastFrame: 1000), Self.sensor("b", lastFrame: 1000.5)]), at: 1030.7)
        let alerts = watchdog.check(now: 1030.7)
        #expect(alerts.map(\.groupKey) == ["sensor-silent:a,b"], "b is 0.2 s short of the threshold, and stopped with a")
        #expect(watchdog.check(now: 1031.7).isEmpty)
    }
}
