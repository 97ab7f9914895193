import Foundation
import SpasmConfig
import SpasmSchema
import SpasmSecurity

/// The words of every notification: what happened, where, when (local time) and what to
/// do, in plain language. Detection's own `title`/`message` are kept in the alert; these
/// texts are written for the receiver (the person reads "you", a caregiver reads a name).
public struct NotificationText: Sendable {
    public let home: HomeClock
    /// Display names by person id.
    public let names: [String: String]
    /// Mints the per-alert "I'm OK" / "I need help" links (`manual.publicURL`); nil: none.
    public let links: ActionLinks?

    public init(home: HomeClock, names: [String: String] = [:], links: ActionLinks? = nil) {
        self.home = home
        self.names = names
        self.links = links
    }

    /// How a caregiver's message names the person.
    public func name(of person: String) -> String {
        if let name = names[person], !name.isEmpty { return name }
        return person == Person.defaultId ? "the person you look after" : person
    }

    /// The "I'm OK" action for an alert, as sent to `receiver` at `now`: its link works
    /// for that alert, that receiver and 24 hours only.
    public func okAction(_ alert: Alert, receiver: String, now: Double) -> AlertNotification.Action {
        AlertNotification.Action(
            label: "I'm OK",
            url: links?.url(alertId: alert.alertId, action: .ok, receiver: receiver, now: now),
            command: "spasmwatch ack \(Self.shortId(alert.alertId))", kind: "ok")
    }

    /// "I need help" (only as a link: without `manual.publicURL` there is none).
    public func helpAction(_ alert: Alert, receiver: String, now: Double) -> AlertNotification.Action? {
        guard let url = links?.url(alertId: alert.alertId, action: .help, receiver: receiver, now: now) else { return nil }
        return AlertNotification.Action(label: "I need help", url: url, command: "", kind: "help")
    }

    /// The actions a critical alert offers a receiver: "I'm OK", and for the person also
    /// "I need help".
    public func actions(_ alert: Alert, receiver: String, toPerson: Bool, now: Double) -> [AlertNotification.Action] {
        [okAction(alert, receiver: receiver, now: now)] + (toPerson ? [helpAction(alert, receiver: receiver, now: now)].compactMap { $0 } : [])
    }

    /// Someone pressed "I need help": told to every other receiver at once.
    public func helpRequested(_ alert: Alert, person: String, by: String, toPerson: Bool, now: Double) -> (title: String, text: String) {
        let who = name(of: person)
        let when = home.describe(alert.at, now: now)
        let place = place(alert).map { " (\($0))" } ?? ""
        let asker = by == person ? capitalized(who) : capitalized(by)
        let what = alert.kind == "fall" ? "a possible fall" : "an alert (\(alert.title))"
        if toPerson {
            return (
                "Help is being asked for",
                "\(asker) asked for help after \(what) at \(when)\(place). Everyone on your list is being told now."
            )
        }
        return (
            "\(asker) asked for help",
            "\(asker) pressed \"I need help\" after \(what)\(by == person ? "" : " for \(who)") at \(when)\(place). Please go to \(who) now, or call someone who can. When \(who) is safe, press \"I'm OK\" or run spasmwatch ack \(Self.shortId(alert.alertId))."
        )
    }

    public static func shortId(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }

    /// What happens after a critical notification, as the planner routed it: the words of
    /// an alert promise only this.
    public struct FollowUp: Sendable, Equatable {
        /// Others told at the same time.
        public var toldNow: [String]
        /// Told one after another while nobody answers, each `after` seconds after the last.
        public var next: [String]
        public var after: Double
        /// The rules have no caregiver at all (`NotifyRules.caregivers` is empty).
        public var noCaregiver: Bool

        public init(toldNow: [String] = [], next: [String] = [], after: Double = 0, noCaregiver: Bool = false) {
            self.toldNow = toldNow
            self.next = next
            self.after = after
            self.noCaregiver = noCaregiver
        }
    }

    /// "anna", "anna and ben", "anna, ben and carl".
    static func list(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// Who else is told, and when: "Anna has been told too. If nobody answers within
    /// 2 minutes, ben will be told." Or, when nobody else will be: says so.
    func followUpWords(_ followUp: FollowUp, toPerson: Bool) -> String {
        var words: [String] = []
        if !followUp.toldNow.isEmpty {
            words.append("\(capitalized(Self.list(followUp.toldNow))) \(followUp.toldNow.count == 1 ? "has" : "have") been told too.")
        }
        if let first = followUp.next.first {
            let after = Self.duration(followUp.after)
            var sentence = "If nobody answers within \(after), \(first) will be told"
            let rest = followUp.next.dropFirst()
            if rest.count == 1 { sentence += ", then \(rest[rest.startIndex]) \(after) later" }
            if rest.count > 1 { sentence += ", then \(rest.joined(separator: ", then ")), each \(after) after the last" }
            words.append(sentence + ".")
        } else if followUp.toldNow.isEmpty {
            words.append(
                toPerson && followUp.noCaregiver
                    ? "Nobody else will be told: no caregiver is set up."
                    : "Nobody else will be told.")
        }
        return words.joined(separator: " ")
    }

    /// New alert(s) for a receiver. `followUp` (critical alerts): who else is told, and when.
    public func alert(
        _ alerts: [Alert], person: String, toPerson: Bool, now: Double,
        followUp: FollowUp? = nil
    ) -> (title: String, text: String) {
        Self.markedTest(alerts, words(alerts, person: person, toPerson: toPerson, now: now, followUp: followUp))
    }

    /// Alerts from test sensors (replays, simulations, the docs' examples) still go out, so a
    /// demo shows a fall, but say what they are: " (test sensor)" after the title.
    static func markedTest(_ alerts: [Alert], _ words: (title: String, text: String)) -> (title: String, text: String) {
        guard !alerts.isEmpty, alerts.allSatisfy({ $0.test == true }), !words.title.hasSuffix("(test sensor)") else { return words }
        return (words.title + " (test sensor)", words.text + " This came from a test sensor (a replay, a simulation or an example).")
    }

    private func words(
        _ alerts: [Alert], person: String, toPerson: Bool, now: Double,
        followUp: FollowUp?
    ) -> (title: String, text: String) {
        let first = alerts[0]
        if alerts.count > 1 { return group(alerts, person: person, toPerson: toPerson, now: now) }
        let when = home.describe(first.at, now: now)
        let whereText = place(first)
        let who = toPerson ? "you" : name(of: person)
        let whoCap = capitalized(who)
        let ack = "spasmwatch ack \(Self.shortId(first.alertId))"
        switch first.kind {
        case "fall":
            var text =
                toPerson
                ? "A fall was detected at \(when)\(whereText.map { " (\($0) sensor)" } ?? ""). If you are OK, press \"I'm OK\" on the SpasmWatch page or run \(ack)."
                : "A fall was detected for \(who) at \(when)\(whereText.map { " (\($0) sensor)" } ?? ""). Please check on \(who) now. When you have, press \"I'm OK\" on the SpasmWatch page or run \(ack)."
            let nobodyElse = followUp.map { $0.toldNow.isEmpty && $0.next.isEmpty } ?? true
            if let followUp { text += " " + followUpWords(followUp, toPerson: toPerson) }
            if toPerson { text += nobodyElse ? " If you are hurt, call for help now." : " If you are hurt, call for help." }
            return (toPerson ? "Possible fall" : "\(whoCap) may have fallen", text)
        case "phasic", "clonus", "tonic":
            let what = Self.spasmWords(first.kind, count: 1)
            let site = whereText.map { ", \($0)" } ?? ""
            let advice =
                toPerson
                ? "It is in your diary. If spasms keep coming, sit or lie somewhere safe until they settle."
                : "It is in \(who)'s diary; no action is needed unless they ask for help."
            return ("\(capitalized(what))\(site)", "\(capitalized(what)) \(whereText.map { "in the \($0) " } ?? "")at \(when). \(advice)")
        case "sensor-silent":
            // Several sensors at once: the watchdog's title and message list them all.
            if first.sensorId == nil, !first.message.isEmpty { return (first.title, first.message) }
            let sensor = first.sensorId ?? "a sensor"
            let siteText = first.site.map { " (\($0.displayName))" } ?? ""
            return (
                "Sensor \(sensor) is silent",
                "The sensor \(sensor)\(siteText) has sent nothing since \(when), so spasms and falls there are not being detected. Check its battery, that it is switched on, and that it is within range of the home server."
            )
        case "service-down":
            let service = first.groupKey.split(separator: ":").dropFirst().first.map(String.init) ?? "a SpasmWatch service"
            return (
                first.title.isEmpty ? "\(service) has stopped" : first.title,
                "\(service) has not reported since \(when)\(service.contains("detect") ? ", so spasms and falls are not being detected" : ""). Restart it with: deploy/stack restart \(service.split(separator: "@").first.map(String.init) ?? service) — and look at its log in the data home's logs/ folder."
            )
        case "test":
            return (
                "SpasmWatch test",
                "This is a test sent at \(when) to check that notifications reach \(toPerson ? "you" : "this receiver"). Nothing happened; no action is needed."
            )
        default:
            let site = whereText.map { " (\($0))" } ?? ""
            let then =
                first.severity == .critical
                ? " When you have dealt with it, run \(ack)." + (followUp.map { " " + followUpWords($0, toPerson: toPerson) } ?? "") : ""
            return (first.title, "\(first.message)\(site) — at \(when).\(then)")
        }
    }

    /// A burst of the same thing: "4 phasic spasms in 6 minutes, left leg".
    func group(_ alerts: [Alert], person: String, toPerson: Bool, now: Double) -> (title: String, text: String) {
        let first = alerts.min { $0.at < $1.at }!
        let last = alerts.max { $0.at < $1.at }!
        let span = max(last.at - first.at, 1)
        let what = Self.spasmWords(first.kind, count: alerts.count)
        let sites = Set(alerts.compactMap { $0.site.map { $0.limb ?? $0 } })
        let siteText =
            sites.count == 1
            ? ", \(sites.first!.displayName)" : sites.isEmpty ? "" : ", \(sites.map(\.displayName).sorted().joined(separator: " and "))"
        let title = "\(Self.spasmWords(first.kind, count: alerts.count, short: true)) in \(Self.duration(span))\(siteText)"
        let from = home.describe(first.at, now: now)
        let to = home.describe(last.at, now: now)
        let who = toPerson ? "your" : "\(name(of: person))'s"
        let advice: String
        switch first.kind {
        case "phasic", "clonus", "tonic":
            advice =
                toPerson
                ? "They are in your diary. Sit or lie somewhere safe until they settle; if this is more than usual, note what may have set them off (heat, tiredness, bladder, stress)."
                : "They are in \(who) diary. Check whether help is wanted; no action is needed otherwise."
        default:
            advice = "Latest: \(last.message)"
        }
        // Two alerts in the same minute read "at 06:33", not "between 06:33 and 06:33".
        let when = from == to ? "at \(from)" : "between \(from) and \(to)"
        return (title, "\(what) \(when)\(siteText). \(advice)")
    }

    /// A critical alert passed on because nobody answered.
    public func escalation(
        _ alert: Alert, person: String, waited: Double, notified: [String], now: Double,
        followUp: FollowUp = FollowUp()
    ) -> (title: String, text: String) {
        let who = name(of: person)
        let when = home.describe(alert.at, now: now)
        let place = place(alert).map { " (\($0))" } ?? ""
        let what = alert.kind == "fall" ? "may have fallen" : "has an alert: \(alert.title)"
        return Self.markedTest(
            [alert],
            (
                "No answer: \(who) \(what)",
                "\(capitalized(who)) \(what) at \(when)\(place), and nobody has said they are OK for \(Self.duration(waited)) (told so far: \(notified.joined(separator: ", "))). Please check on \(who) now. When you have, press \"I'm OK\" on the SpasmWatch page or run spasmwatch ack \(Self.shortId(alert.alertId)). \(followUp.next.isEmpty ? "You are the last one on the list: nobody else will be told." : followUpWords(followUp, toPerson: false))"
            ))
    }

    /// Someone answered: the alert needs no more attention.
    public func acknowledged(_ alert: Alert, person: String, ack: Acknowledgement, toPerson: Bool, now: Double) -> (title: String, text: String) {
        let when = home.describe(alert.at, now: now)
        let at = home.describe(ack.at, now: now)
        let what = alert.kind
        let by = ack.by == person ? (toPerson ? "you" : name(of: person)) : ack.by
        if ack.falseAlarm {
            return (
                "False alarm: \(what) at \(when)",
                "The \(what) alert \(toPerson ? "" : "for \(name(of: person)) ")from \(when) was a false alarm (\(by) said so at \(at)). Nothing happened; no action is needed."
            )
        }
        return (
            "\(toPerson ? "Acknowledged" : "\(capitalized(name(of: person))) is OK"): \(what) at \(when)",
            "\(capitalized(by)) answered the \(what) alert from \(when) at \(at) (via \(ack.via)). No need to check further."
        )
    }

    static func spasmWords(_ kind: String, count: Int, short: Bool = false) -> String {
        let plural = count > 1
        let noun: String
        if short {
            let base =
                ["phasic": "phasic spasm", "clonus": "bout of clonus", "tonic": "tonic spasm", "fall": "possible fall"][kind] ?? "\(kind) alert"
            let many =
                ["phasic": "phasic spasms", "clonus": "bouts of clonus", "tonic": "tonic spasms", "fall": "possible falls"][kind] ?? "\(kind) alerts"
            return plural ? "\(count) \(many)" : "a \(base)"
        }
        switch kind {
        case "phasic": noun = plural ? "phasic spasms (sudden jerks)" : "phasic spasm (a sudden jerk)"
        case "clonus": noun = plural ? "bouts of clonus (rhythmic jerking)" : "bout of clonus (rhythmic jerking)"
        case "tonic": noun = plural ? "tonic spasms (muscle stiffening)" : "tonic spasm (the muscle went stiff)"
        case "fall": noun = plural ? "possible falls" : "possible fall"
        default: noun = plural ? "\(kind) alerts" : "\(kind) alert"
        }
        return plural ? "\(count) \(noun)" : "a \(noun)"
    }

    func place(_ alert: Alert) -> String? { alert.site?.displayName }

    func capitalized(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    /// "40 seconds", "6 minutes", "2 hours".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 90 { return s == 1 ? "1 second" : "\(s) seconds" }
        let m = Int((seconds / 60).rounded())
        if m < 90 { return m == 1 ? "1 minute" : "\(m) minutes" }
        let h = Int((seconds / 3600).rounded())
        return h == 1 ? "1 hour" : "\(h) hours"
    }
}
