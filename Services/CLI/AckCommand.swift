import ArgumentParser
import Foundation
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// `spasmwatch ack ALERT [--false-alarm]`: "I'm OK" from the command line.
struct AckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge an alert (\"I'm OK\"): its escalation stops and whoever was told hears so.",
        discussion: """
            ALERT is an alert id or a unique prefix of one (the 8 characters notifications show).
            With --false-alarm everyone who was notified is told it was a false alarm, and the
            episode is recorded as "not a spasm" in the diary.
            """)

    @OptionGroup var options: CommonOptions

    @Argument(help: "Alert id, or a unique prefix of one.")
    var alert: String

    @Flag(help: "It was a false alarm: tell everyone notified, and record a \"no\" for the episode.")
    var falseAlarm = false

    @Option(help: "Who is acknowledging (default: the person, `person` in the configuration).")
    var by: String?

    @Option(help: "Seconds to wait for storage to confirm it has the acknowledgement.")
    var wait: Double = 5

    func run() async throws {
        let (home, configuration) = try options.load()
        try home.prepare(groupAccess: configuration.bus.groupAccess)
        let journal = try NotifyJournal(url: home.dataDirectory.appendingPathComponent("notify.sqlite"))
        let found = try await Self.find(alert, journal: journal, home: home, configuration: configuration)
        let alertId = found.id
        let known = found.alert
        let person = found.person ?? configuration.person
        let now = Date().timeIntervalSince1970

        let sender = try ReliableCLISender(home: home, configuration: configuration)
        let ack = Acknowledgement(alertId: alertId, by: by ?? person, at: now, falseAlarm: falseAlarm, via: "cli")
        try await sender.send(ack, topic: Topic.acknowledgement, person: person)
        var recorded = ""
        if falseAlarm {
            if let episodeId = known?.episodeId {
                let entry = DiaryEntry(recordedAt: now, via: "cli", kind: .confirmation,
                                       confirmation: EpisodeConfirmation(episodeId: episodeId, wasSpasm: false,
                                                                         note: "false alarm (spasmwatch ack --false-alarm)"))
                try await sender.send(entry, topic: Topic.manualEntry, person: person)
                recorded = " The episode is recorded as not a spasm."
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
            print("Storage has not confirmed it yet (is spasmwatch-store running?); it stays in the outbox and is re-sent the next time you run spasmwatch ack.")
        }
    }

    /// The alert an id or prefix names: notify's journal first, then storage (alerts notify
    /// never saw, e.g. while it was down).
    static func find(_ text: String, journal: NotifyJournal, home: DataHome,
                     configuration: Configuration) async throws -> (id: UUID, alert: Alert?, person: String?) {
        do {
            if let entry = try await resolve(text, in: journal) {
                return (UUID(uuidString: entry.id)!, entry.alert, entry.person)
            }
            if let id = UUID(uuidString: text) {
                let stored = try? await storage(home: home, configuration: configuration).alerts(idPrefix: id.uuidString)
                let match = stored?.first { $0.alert.alertId == id }
                return (id, match?.alert, match?.person)
            }
        } catch let notInJournal as ValidationError where UUID(uuidString: text) == nil {
            // Not in the journal: storage may know it.
            let stored = (try? await storage(home: home, configuration: configuration)
                .alerts(idPrefix: text.trimmingCharacters(in: .whitespaces))) ?? []
            if stored.count == 1 { return (stored[0].alert.alertId, stored[0].alert, stored[0].person) }
            throw notInJournal
        }
        throw ValidationError("no alert '\(text)'")
    }

    static func storage(home: DataHome, configuration: Configuration) -> StoreQueryAlertSource {
        StoreQueryAlertSource(context: sharedContext, endpoint: Endpoints(home: home, configuration: configuration).storeQuery,
                              timeoutSeconds: 2)
    }

    /// For the one storage query `ack` may make; lives as long as the process.
    static let sharedContext = ZMQContext()

    /// A full id, or the one journal entry whose id starts with the prefix.
    static func resolve(_ text: String, in journal: NotifyJournal) async throws -> NotifyJournal.Entry? {
        if let id = UUID(uuidString: text) { return try await journal.entry(id) }
        let cleaned = text.trimmingCharacters(in: .whitespaces)
        guard cleaned.count >= 4, cleaned.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw ValidationError("'\(text)' is not an alert id; give the id or at least its first 4 characters (e.g. 1a2b3c4d)")
        }
        let matches = try await journal.find(prefix: cleaned)
        switch matches.count {
        case 1:
            return matches[0]
        case 0:
            let recent = try await journal.recent(limit: 5).map(describe).joined(separator: "\n  ")
            throw ValidationError("no alert id starts with '\(cleaned)'." + (recent.isEmpty ? "" : " Recent alerts:\n  \(recent)"))
        default:
            throw ValidationError("'\(cleaned)' matches \(matches.count) alerts; give more characters:\n  \(matches.map(describe).joined(separator: "\n  "))")
        }
    }

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
