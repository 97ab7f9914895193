import ArgumentParser
import Foundation
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// `spasmwatch ack [ALERT] [--false-alarm]`: "I'm OK" from the command line.
struct AckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge an alert (\"I'm OK\"): its escalation stops and whoever was told hears so.",
        discussion: """
            ALERT is an alert id or a unique prefix of one (the 8 characters notifications show).
            Without it, the latest alert not yet acknowledged is taken, and named first.
            With --false-alarm everyone who was notified is told it was a false alarm, and the
            episode is recorded as "not a spasm" in the diary.
            """)

    @OptionGroup var options: CommonOptions

    @Argument(help: "Alert id, or a unique prefix of one (default: the latest open alert).")
    var alert: String?

    @Flag(help: "It was a false alarm: tell everyone notified, and record a \"no\" for the episode.")
    var falseAlarm = false

    @Option(help: "Who is acknowledging (default: the user running this command, as the system names them).")
    var by: String?

    @Option(help: "Seconds to wait for storage to confirm it has the acknowledgement.")
    var wait: Double = 5

    func run() async throws {
        let (home, configuration) = try options.load()
        try home.prepare(groupAccess: configuration.bus.groupAccess)
        let journal = NotifyJournal.open(readingFrom: home.dataDirectory.appendingPathComponent("notify.sqlite"))
        let found: (id: UUID, alert: Alert?, person: String?)
        if let alert {
            found = try await Self.find(alert, journal: journal, home: home, configuration: configuration)
        } else {
            let open = try await Self.latestOpen(journal: journal)
            print("No alert id given: taking the latest open alert, \(Self.describe(open)).")
            guard let id = UUID(uuidString: open.id) else { throw ValidationError("the latest alert's id '\(open.id)' is not an id") }
            found = (id, open.alert, open.person)
        }
        let alertId = found.id
        let known = found.alert
        let person = found.person ?? configuration.person
        let now = Date().timeIntervalSince1970

        let sender = try ReliableCLISender(home: home, configuration: configuration)
        // Whoever typed the command, not the person: a caregiver at the same computer is not them.
        let ack = Acknowledgement(alertId: alertId, by: by ?? Self.systemUser(), at: now, falseAlarm: falseAlarm, via: "cli")
        try await sender.send(ack, topic: Topic.acknowledgement, person: person)
        var recorded = ""
        if falseAlarm {
            if let episodeId = known?.episodeId {
                // A diary entry like any other: through spasmwatch-manual, or into its outbox
                // when it is not running (it sends it when it starts).
                let entry = DiaryEntry(
                    recordedAt: now, via: "cli", kind: .confirmation,
                    confirmation: EpisodeConfirmation(
                        episodeId: episodeId, wasSpasm: false,
                        note: "false alarm (spasmwatch ack --false-alarm)"))
                switch try await DiaryConnection(options: options).save(entry) {
                case .saved(let saved):
                    recorded = " The episode is recorded as not a spasm (diary entry \(saved.shortId))."
                case .savedHere(let saved, _):
                    recorded = " The episode is recorded as not a spasm (diary entry \(saved.shortId), sent when spasmwatch-manual starts)."
                }
            } else {
                recorded = " (No detected episode is linked to this alert, so nothing was added to the diary.)"
            }
        }
        let stored = try await sender.waitForReceipts(seconds: wait)
        await sender.close()

        let what = known.map { "\($0.kind) alert from \(Self.clock($0.at))" } ?? "alert"
        let short = NotificationText.shortId(alertId)
        if falseAlarm {
            print("Marked the \(what) (\(short)) as a false alarm; everyone who was notified will be told.\(recorded)")
        } else {
            print("Acknowledged the \(what) (\(short)): escalation stops.")
        }
        if !stored {
            print(
                "Storage has not confirmed it yet (is spasmwatch-store running?); it stays in the outbox and is re-sent the next time you run spasmwatch ack."
            )
        }
    }

    /// The alert an id or prefix names: notify's journal first, then storage (alerts notify
    /// never saw, e.g. while it was down). A full id is accepted even when neither knows it.
    static func find(
        _ text: String, journal: NotifyJournal?, home: DataHome,
        configuration: Configuration
    ) async throws -> (id: UUID, alert: Alert?, person: String?) {
        let text = text.trimmingCharacters(in: .whitespaces)
        let storage = StoreQueryAlertSource(
            context: sharedContext,
            endpoint: Endpoints(home: home, configuration: configuration).storeQuery,
            timeoutSeconds: 2)
        if let id = UUID(uuidString: text) {
            if let entry = try await journal?.entry(id) { return (id, entry.alert, entry.person) }
            let match = (try? await storage.alerts(idPrefix: id.uuidString))?.first { $0.alert.alertId == id }
            return (id, match?.alert, match?.person)
        }
        guard text.count >= 4, text.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw ValidationError("'\(text)' is not an alert id; give the id or at least its first 4 characters (e.g. 1a2b3c4d)")
        }
        let inJournal = try await journal?.find(prefix: text) ?? []
        if inJournal.count == 1, let id = UUID(uuidString: inJournal[0].id) {
            return (id, inJournal[0].alert, inJournal[0].person)
        }
        if inJournal.count > 1 {
            throw ValidationError(
                "'\(text)' matches \(inJournal.count) alerts; give more characters:\n  \(inJournal.map(describe).joined(separator: "\n  "))")
        }
        let stored = (try? await storage.alerts(idPrefix: text)) ?? []
        if stored.count == 1 { return (stored[0].alert.alertId, stored[0].alert, stored[0].person) }
        if stored.count > 1 {
            throw ValidationError(
                "'\(text)' matches \(stored.count) alerts; give more characters:\n  "
                    + stored.map { "\(NotificationText.shortId($0.alert.alertId))  \(clock($0.alert.at))  \($0.alert.kind)" }.joined(
                        separator: "\n  "))
        }
        let recent = (try await journal?.recent(limit: 5) ?? []).map(describe).joined(separator: "\n  ")
        throw ValidationError("no alert id starts with '\(text)'." + (recent.isEmpty ? "" : " Recent alerts:\n  \(recent)"))
    }

    /// The newest alert notify's journal holds that nobody has acknowledged.
    static func latestOpen(journal: NotifyJournal?) async throws -> NotifyJournal.Entry {
        guard let journal else {
            throw ValidationError("give the alert's id: notify has not run on this home yet, so which alerts are open is not known")
        }
        let recent = try await journal.recent(limit: 200)
        guard let open = recent.first(where: { $0.acknowledgedAt == nil }) else {
            let listed = recent.prefix(5).map(describe).joined(separator: "\n  ")
            throw ValidationError("no alert is open: every alert is acknowledged." + (listed.isEmpty ? "" : " Recent alerts:\n  \(listed)"))
        }
        return open
    }

    /// The login name of the user running the command (`root`, `anna`), as the system has it.
    static func systemUser() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(geteuid())"
    }

    /// For the one storage query `ack` may make; lives as long as the process.
    static var sharedContext: ZMQContext { ProcessContext.shared }

    static func describe(_ entry: NotifyJournal.Entry) -> String {
        "\(entry.id.lowercased().prefix(8))  \(clock(entry.alert?.at ?? entry.receivedAt))  \(entry.severity)  \(entry.kind)"
            + (entry.acknowledgedAt != nil ? "  (acknowledged)" : "")
    }

    static func clock(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}
