import Foundation
import SpasmConfig
import SpasmNotify
import SpasmSchema
import Testing

/// Routing, grouping, quiet hours and escalation, stepped through with a manual clock.
@Suite("Notification planner")
struct PlannerTests {
    static let berlin = HomeClock(timeZone: TimeZone(identifier: "Europe/Berlin")!)
    /// Wednesday 25 Nov 2026, 10:00 in Berlin (UTC+1).
    static let morning = 1_795_597_200.0

    static let rules = NotifyRules(
        receivers: [
            .init(name: "me", isPerson: true, channels: [.init(type: .console)]),
            .init(name: "anna", channels: [.init(type: .console)]),
            .init(name: "ben", channels: [.init(type: .console)]),
            .init(name: "night-nurse", channels: [.init(type: .console)]),
        ],
        routes: [
            .init(match: .init(severities: [.critical]), receivers: ["me", "anna", "ben"]),
            .init(
                match: .init(kinds: ["phasic"], sites: [.rightLeg], between: DailyWindow(start: "22:00", end: "07:00")),
                receivers: ["night-nurse"]),
            .init(match: .init(persons: ["me"]), receivers: ["me"]),
        ])

    static func planner(
        _ clock: ManualClock, rules: NotifyRules = rules,
        settings: PlannerSettings = PlannerSettings(
            groupWaitSeconds: 60, repeatIntervalSeconds: 600, escalateAfterSeconds: 120)
    ) -> NotificationPlanner {
        NotificationPlanner(rules: rules, settings: settings, text: NotificationText(home: berlin), clock: clock)
    }

    static func alert(
        _ kind: String, _ severity: AlertSeverity = .info, site: BodySite? = .leftCalf, at: Double,
        id: UUID = UUID()
    ) -> Alert {
        Alert(
            alertId: id, kind: kind, severity: severity, groupKey: "\(kind):\(site?.limb?.rawValue ?? "-")",
            title: kind, message: "detected \(kind)", at: at, site: site)
    }

    @Test func routesMatchOnSeverityKindSiteTimeOfDayAndPerson() {
        let clock = ManualClock(Self.morning)
        let planner = Self.planner(clock)
        let fall = planner.route(Self.alert("fall", .critical, at: Self.morning), person: "me")
        #expect(fall.escalation == ["me", "anna", "ben"])
        #expect(fall.immediate.isEmpty)

        let daySpasm = planner.route(Self.alert("phasic", site: .rightCalf, at: Self.morning), person: "me")
        #expect(daySpasm.immediate == ["me"], "10:00 is outside the night window")

        let night = Self.morning + 13 * 3600  // 23:00 local
        let nightSpasm = planner.route(Self.alert("phasic", site: .rightCalf, at: night), person: "me")
        #expect(nightSpasm.immediate == ["night-nurse"], "right calf is part of the right leg")
        let nightLeft = planner.route(Self.alert("phasic", site: .leftCalf, at: night), person: "me")
        #expect(nightLeft.immediate == ["me"])

        let someoneElse = planner.route(Self.alert("tonic", at: Self.morning), person: "grandad")
        #expect(someoneElse.immediate.isEmpty && someoneElse.escalation.isEmpty, "no route for another person's info alert")
    }

    @Test func aBurstBecomesOneNotificationWithACount() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        var sent: [AlertNotification] = []
        for offset in [0.0, 15, 30, 45] {
            clock.set(Self.morning + offset)
            sent += planner.receive(Self.alert("phasic", site: .leftCalf, at: Self.morning + offset), person: "me")
        }
        #expect(sent.isEmpty, "waiting for the group window")
        clock.set(Self.morning + 59)
        #expect(planner.due().isEmpty)
        clock.set(Self.morning + 60)
        let group = planner.due()
        #expect(group.count == 1)
        #expect(group.first?.count == 4)
        #expect(group.first?.title == "4 phasic spasms in 45 seconds, left leg")
        #expect(group.first?.text.contains("10:00") == true, "says when, in local time")
        #expect(planner.due().isEmpty, "sent once")
    }

    @Test func reSentAlertsAreCountedOnce() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        let alert = Self.alert("tonic", at: Self.morning)
        _ = planner.receive(alert, person: "me")
        _ = planner.receive(alert, person: "me")
        clock.advance(by: 60)
        #expect(planner.due().first?.count == 1)
    }

    @Test func moreOfTheSameWaitForTheRepeatInterval() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        _ = planner.receive(Self.alert("phasic", at: Self.morning), person: "me")
        clock.advance(by: 60)
        #expect(planner.due().count == 1)
        clock.advance(by: 60)
        _ = planner.receive(Self.alert("phasic", at: clock.now), person: "me")
        _ = planner.receive(Self.alert("phasic", at: clock.now), person: "me")
        clock.set(Self.morning + 60 + 599)
        #expect(planner.due().isEmpty, "inside the repeat interval")
        clock.set(Self.morning + 60 + 600)
        let second = planner.due()
        #expect(second.count == 1)
        #expect(second.first?.count == 2)
        // A different group is not held back by the first.
        _ = planner.receive(Self.alert("tonic", site: .rightArm, at: clock.now), person: "me")
        clock.advance(by: 60)
        #expect(planner.due().map(\.kind) == ["tonic"])
    }

    @Test func quietHoursHoldAllButCritical() {
        let night = Self.morning + 13 * 3600  // 23:00 local
        let clock = ManualClock(night)
        var planner = Self.planner(
            clock,
            settings: PlannerSettings(
                groupWaitSeconds: 60, repeatIntervalSeconds: 600, escalateAfterSeconds: 120,
                quietHours: DailyWindow(start: "22:00", end: "07:00")))
        _ = planner.receive(Self.alert("sensor-silent", .warning, at: night), person: "me")
        let fall = planner.receive(Self.alert("fall", .critical, at: night), person: "me")
        #expect(fall.map(\.receiver) == ["me"], "critical passes at once")
        clock.advance(by: 3600)
        #expect(planner.due().filter { $0.kind == "sensor-silent" }.isEmpty, "held during quiet hours")
        // 07:00 the next morning, local.
        clock.set(Self.morning + 21 * 3600)
        let morning = planner.due().filter { $0.kind == "sensor-silent" }
        #expect(morning.count == 1)
    }

    @Test func quietHoursEndAtLocalTimeAcrossDaylightSaving() {
        // Night of 28–29 March 2026 in Berlin: clocks go from 02:00 to 03:00.
        let home = Self.berlin
        let window = DailyWindow(start: "22:00", end: "07:00")
        let elevenPM = 1_774_731_600.0  // 28 Mar 2026 22:00 CET = 21:00 UTC
        #expect(window.contains(elevenPM, in: home))
        let end = window.end(after: elevenPM, in: home)
        #expect(end == 1_774_760_400.0, "07:00 CEST is 05:00 UTC: 8 real hours after 22:00 CET")
        #expect(home.minuteOfDay(end) == 7 * 60)
        #expect(!window.contains(end, in: home))
    }

    @Test func criticalAlertsEscalateUntilAcknowledged() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        let fall = Self.alert("fall", .critical, site: .rightAnkle, at: Self.morning)
        let first = planner.receive(fall, person: "me")
        #expect(first.map(\.receiver) == ["me"])
        #expect(first.first?.actions.first?.label == "I'm OK")
        #expect(first.first?.text.contains("anna will be told") == true)

        clock.advance(by: 119)
        #expect(planner.due().isEmpty)
        clock.advance(by: 1)
        let second = planner.due()
        #expect(second.map(\.receiver) == ["anna"])
        #expect(second.first?.purpose == .escalation)

        clock.advance(by: 60)
        let acks = planner.acknowledge(Acknowledgement(alertId: fall.alertId, by: "anna", at: clock.now, via: "cli"))
        #expect(acks.map(\.receiver) == ["me"], "whoever was told hears it is dealt with, except the one who answered")
        #expect(acks.first?.purpose == .acknowledged)
        clock.advance(by: 600)
        #expect(planner.due().isEmpty, "ben is never called")
        #expect(planner.openEscalations.isEmpty)
    }

    /// "I need help" (OSD's manual alarm): everyone left on the escalation is told at once,
    /// in words that say the person asked; an "I'm OK" afterwards still reaches them all.
    @Test func helpRequestedTellsEveryRemainingReceiverNow() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        let fall = Self.alert("fall", .critical, site: .rightAnkle, at: Self.morning)
        _ = planner.receive(fall, person: "me")
        clock.advance(by: 10)
        let help = planner.helpRequested(fall.alertId, by: "me")
        #expect(help.map(\.receiver) == ["anna", "ben"], "told now, not after 120 s each")
        #expect(help.allSatisfy { $0.purpose == .helpRequested && $0.severity == .critical })
        #expect(help.first?.title == "Me asked for help" || help.first?.title.hasSuffix("asked for help") == true)
        #expect(help.first?.text.contains("pressed \"I need help\"") == true)
        #expect(help.first?.actions.first?.label == "I'm OK")
        #expect(planner.helpRequested(fall.alertId, by: "me").isEmpty, "a repeated request changes nothing")
        clock.advance(by: 600)
        #expect(planner.due().isEmpty, "the escalation has nobody left to call")
        let oks = planner.acknowledge(Acknowledgement(alertId: fall.alertId, by: "anna", at: clock.now, via: "link"))
        #expect(oks.map(\.receiver).sorted() == ["ben", "me"])
        #expect(oks.first?.text.contains("Anna answered") == true)
        #expect(planner.helpRequested(UUID(), by: "me").isEmpty, "an unknown alert")
    }

    @Test func unansweredEscalationReachesEveryReceiverInOrder() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        _ = planner.receive(Self.alert("fall", .critical, at: Self.morning), person: "me")
        var order: [String] = []
        for _ in 0..<10 {
            clock.advance(by: 120)
            order += planner.due().map(\.receiver)
        }
        #expect(order == ["anna", "ben"])
    }

    @Test func aFalseAlarmIsToldToEveryoneWhoWasNotified() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        let fall = Self.alert("fall", .critical, at: Self.morning)
        _ = planner.receive(fall, person: "me")
        clock.advance(by: 120)
        _ = planner.due()
        let notices = planner.acknowledge(Acknowledgement(alertId: fall.alertId, by: "me", at: clock.now, falseAlarm: true, via: "cli"))
        #expect(notices.map(\.receiver) == ["me", "anna"])
        #expect(notices.allSatisfy { $0.purpose == .falseAlarm })
        #expect(notices.first?.text.contains("false alarm") == true)
        // The same acknowledgement again (a re-send) changes nothing.
        #expect(planner.acknowledge(Acknowledgement(alertId: fall.alertId, by: "me", at: clock.now, falseAlarm: true, via: "cli")).isEmpty)
    }

    @Test func anAcknowledgedAlertWaitingInAGroupIsNotSent() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        let a = Self.alert("tonic", at: Self.morning)
        let b = Self.alert("tonic", at: Self.morning + 1)
        _ = planner.receive(a, person: "me")
        _ = planner.receive(b, person: "me")
        _ = planner.acknowledge(Acknowledgement(alertId: a.alertId, by: "me", at: clock.now, via: "web"))
        clock.advance(by: 60)
        #expect(planner.due().first?.alertIds == [b.alertId])
    }

    @Test func testAlertsGoToEveryReceiverAtOnce() {
        let clock = ManualClock(Self.morning)
        var planner = Self.planner(clock)
        let sent = planner.receive(Self.alert("test", .info, site: nil, at: Self.morning), person: "me")
        #expect(Set(sent.map(\.receiver)) == ["me", "anna", "ben", "night-nurse"])
        #expect(sent.allSatisfy { $0.purpose == .test })
    }
}
