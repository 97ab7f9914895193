import Foundation
import SpasmConfig
import SpasmSecurity

/// The rules, timings and words for a home, from its configuration and rules file.
public struct NotifySetup: Sendable {
    public let rules: NotifyRules
    public let planner: PlannerSettings
    public let text: NotificationText
    /// Where the rules came from, for the log.
    public let origin: String

    /// `actionKey`: signs the alerts' "I'm OK" links (with `manual.publicURL`); nil: no links.
    public init(home: DataHome, configuration: Configuration, actionKey: ActionKey? = nil) throws {
        let rules = try NotifyRules.load(home: home, configuration: configuration)
        let file = NotifyRules.fileURL(home: home, configuration: configuration).path
        try self.init(
            rules: rules, origin: FileManager.default.fileExists(atPath: file) ? file : "default (console and logs/notifications.jsonl)",
            configuration: configuration, actionKey: actionKey)
    }

    /// For rules already read (the running service, which reloads them).
    public init(rules: NotifyRules, origin: String, configuration: Configuration, actionKey: ActionKey? = nil) throws {
        let settings = configuration.notify
        self.rules = rules
        self.origin = origin
        var quiet: DailyWindow?
        if !settings.quietHoursStart.isEmpty || !settings.quietHoursEnd.isEmpty {
            let window = DailyWindow(start: settings.quietHoursStart, end: settings.quietHoursEnd)
            try window.validate("notify.quietHoursStart/End")
            quiet = window
        }
        planner = PlannerSettings(
            groupWaitSeconds: rules.groupWaitSeconds ?? settings.groupWaitSeconds,
            repeatIntervalSeconds: rules.repeatIntervalSeconds ?? settings.repeatIntervalSeconds,
            escalateAfterSeconds: rules.escalateAfterSeconds ?? settings.escalateAfterSeconds,
            quietHours: rules.quietHours ?? quiet)
        text = NotificationText(
            home: HomeClock(configuration: configuration), names: rules.names ?? [:],
            links: configuration.manual.actionLinkBase.flatMap { base in
                actionKey.map { ActionLinks(baseURL: base, key: $0) }
            })
    }
}
