import Foundation
import SpasmNotify
import SpasmSchema
import Testing

/// The words of a fall say what will really happen: who else is told, and after how long,
/// as the planner routed it — and, with nobody else, say that plainly.
@Suite("Notification words")
struct NotificationWordsTests {
    typealias T = PlannerTests

    static func planner(_ rules: NotifyRules, _ clock: ManualClock, names: [String: String] = [:]) -> NotificationPlanner {
        NotificationPlanner(
            rules: rules, settings: PlannerSettings(groupWaitSeconds: 60, repeatIntervalSeconds: 600, escalateAfterSeconds: 120),
            text: NotificationText(home: T.berlin, names: names), clock: clock)
    }

    @Test func withNoCaregiverTheFallSaysNobodyElseWillBeTold() throws {
        let clock = ManualClock(T.morning)
        var planner = Self.planner(.standard(person: "me"), clock)
        let notes = planner.receive(T.alert("fall", .critical, at: T.morning), person: "me")
        let note = try #require(notes.first)
        #expect(notes.count == 1)
        #expect(note.title == "Possible fall")
        #expect(note.text.contains("Nobody else will be told: no caregiver is set up."), "\(note.text)")
        #expect(note.text.hasSuffix("If you are hurt, call for help now."))
        #expect(!note.text.contains("help will be asked"))
        #expect(!note.text.contains("If nobody answers"))
        clock.advance(by: 3600)
        #expect(planner.due().isEmpty, "and indeed nobody else is told")
    }

    /// Seen: "2 phasic spasms between 06:33 and 06:33". In the same minute it is "at 06:33".
    @Test func groupedSpasmsInOneMinuteSayAtNotBetween() throws {
        let text = NotificationText(home: T.berlin, names: [:])
        let sameMinute = text.alert(
            [T.alert("phasic", at: T.morning), T.alert("phasic", at: T.morning + 20)],
            person: "me", toPerson: true, now: T.morning + 30
        ).text
        let clock = T.berlin.describe(T.morning, now: T.morning + 30)
        #expect(sameMinute.contains("at \(clock)"), "\(sameMinute)")
        #expect(!sameMinute.contains("between"), "\(sameMinute)")
        let apart = text.alert(
            [T.alert("phasic", at: T.morning), T.alert("phasic", at: T.morning + 300)],
            person: "me", toPerson: true, now: T.morning + 310
        ).text
        #expect(apart.contains("between \(clock) and "), "\(apart)")
    }

    @Test func aFallFromATestSensorSaysSoToEveryReceiver() throws {
        let clock = ManualClock(T.morning)
        var planner = Self.planner(T.rules, clock)
        var alert = T.alert("fall", .critical, at: T.morning)
        alert.test = true
        let first = try #require(planner.receive(alert, person: "me").first)
        #expect(first.title == "Possible fall (test sensor)")
        #expect(first.text.hasSuffix("This came from a test sensor (a replay, a simulation or an example)."), "\(first.text)")
        clock.advance(by: 120)
        let toAnna = try #require(planner.due().first)
        #expect(toAnna.title.hasSuffix("(test sensor)"), "\(toAnna.title)")
        var real = T.alert("fall", .critical, at: T.morning)
        real.test = nil
        #expect(try #require(planner.receive(real, person: "me").first).title == "Possible fall")
    }

    @Test func theFallSaysWhoIsToldNextAndAfterHowLong() throws {
        let clock = ManualClock(T.morning)
        var planner = Self.planner(T.rules, clock)
        let first = try #require(planner.receive(T.alert("fall", .critical, at: T.morning), person: "me").first)
        #expect(first.receiver == "me")
        #expect(first.text.contains("If nobody answers within 2 minutes, anna will be told, then ben 2 minutes later."), "\(first.text)")
        #expect(!first.text.contains("Nobody else"))
        clock.advance(by: 120)
        let toAnna = try #require(planner.due().first)
        #expect(toAnna.receiver == "anna")
        #expect(toAnna.text.contains("(told so far: me)"))
        #expect(toAnna.text.hasSuffix("If nobody answers within 2 minutes, ben will be told."), "\(toAnna.text)")
        clock.advance(by: 120)
        let toBen = try #require(planner.due().first)
        #expect(toBen.receiver == "ben")
        #expect(toBen.text.contains("(told so far: me, anna)"))
        #expect(toBen.text.hasSuffix("You are the last one on the list: nobody else will be told."))
    }

    @Test func othersToldAtOnceAreNamed() throws {
        let console = [ChannelSpec(type: .console)]
        let rules = NotifyRules(
            receivers: [.init(name: "me", isPerson: true, channels: console), .init(name: "anna", channels: console)],
            routes: [.init(receivers: ["me", "anna"], escalate: false)])
        let clock = ManualClock(T.morning)
        var planner = Self.planner(rules, clock, names: ["me": "Sam"])
        let notes = planner.receive(T.alert("fall", .critical, at: T.morning), person: "me")
        let toMe = try #require(notes.first { $0.receiver == "me" })
        let toAnna = try #require(notes.first { $0.receiver == "anna" })
        #expect(toMe.text.contains("Anna has been told too."), "\(toMe.text)")
        #expect(toMe.text.hasSuffix("If you are hurt, call for help."))
        #expect(toAnna.title == "Sam may have fallen")
        #expect(toAnna.text.contains("Sam has been told too."), "\(toAnna.text)")
        #expect(!toAnna.text.contains("If nobody answers"))
    }

    /// A caregiver exists but this fall's route does not reach them: no "no caregiver"
    /// claim, and no promise either.
    @Test func aFallNoRouteTakesFurtherSaysNobodyElse() throws {
        let console = [ChannelSpec(type: .console)]
        let rules = NotifyRules(
            receivers: [.init(name: "me", isPerson: true, channels: console), .init(name: "anna", channels: console)],
            routes: [.init(match: .init(sites: [.rightLeg]), receivers: ["me", "anna"]), .init(receivers: ["me"])])
        let clock = ManualClock(T.morning)
        var planner = Self.planner(rules, clock)
        let note = try #require(planner.receive(T.alert("fall", .critical, site: .leftCalf, at: T.morning), person: "me").first)
        #expect(note.text.contains("Nobody else will be told."))
        #expect(!note.text.contains("no caregiver is set up"))
    }
}
