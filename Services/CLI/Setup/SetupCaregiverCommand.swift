import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import SpasmSync

/// `spasmwatch setup caregiver NAME --ntfy URL | --webhook URL | --command CMD [--after 90s] [--header H]`.
struct SetupCaregiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caregiver",
        abstract: "Add or update a caregiver who is told of a fall nobody answered.",
        discussion: """
            Writes notify.json in the data home (or notify.rulesFile), keeping what is in it: the caregiver gets the one channel given, and joins the route falls take, after the person. A fall goes to the person at once; if nobody presses "I'm OK" within --after, to the caregiver. Run it again to change the channel or the delay. For a second caregiver, run it with another name: told after the first, one --after later (--after is the wait between the route's steps).

            Examples:
              spasmwatch setup caregiver anna \\
                  --ntfy https://ntfy.example.lan/anna-7f3k9q --after 90s
              spasmwatch setup caregiver ben \\
                  --webhook http://192.168.1.20:8123/api/webhook/spasmwatch
              spasmwatch setup caregiver carl \\
                  --command "/usr/local/bin/send-sms +4917012345" --after 2m
            """)

    @OptionGroup var options: CommonOptions

    @Argument(help: "The caregiver's name, as messages show it (e.g. anna).")
    var name: String

    @Option(help: "An ntfy topic URL, e.g. https://ntfy.example.lan/anna-7f3k9q (the app on the caregiver's phone subscribes to it).")
    var ntfy: String?

    @Option(help: "A URL that gets each notification as JSON (POST).")
    var webhook: String?

    @Option(help: "A program (with arguments) that gets each notification as JSON on stdin.")
    var command: String?

    @Option(
        name: .customLong("header"),
        help: "An HTTP header for --ntfy or --webhook, e.g. \"Authorization: Bearer tk_…\" for an ntfy server with access control (repeatable).")
    var headers: [String] = []

    @Option(
        help:
            "How long a fall waits for an answer before this caregiver is told, e.g. 90s, 2m, 1m30s (default: as set, else notify.escalateAfterSeconds)."
    )
    var after: String?

    func validate() throws {
        let given = [ntfy, webhook, command].compactMap { $0 }
        if given.count != 1 {
            throw ValidationError("give exactly one of --ntfy URL, --webhook URL or --command CMD (how \(name) is reached)")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 64
            || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            throw ValidationError("the caregiver's name must be 1 to 64 printable characters, e.g. anna")
        }
        if let after { _ = try DurationText.parse(after, option: "--after") }
        if !headers.isEmpty && command != nil { throw ValidationError("--header goes with --ntfy or --webhook, not --command") }
        _ = try parsedHeaders()
    }

    /// `--header "Name: value"` as a dictionary.
    func parsedHeaders() throws -> [String: String] {
        var out: [String: String] = [:]
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("--header \(header): expected \"Name: value\", e.g. \"Authorization: Bearer tk_…\"")
            }
            let name = header[..<colon].trimmingCharacters(in: .whitespaces)
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !value.isEmpty, !name.contains(" "), header.allSatisfy({ $0 != "\r" && $0 != "\n" }) else {
                throw ValidationError("--header \(header): expected \"Name: value\", e.g. \"Authorization: Bearer tk_…\"")
            }
            out[name] = value
        }
        return out
    }

    func run() async throws {
        let (home, configuration) = try options.load()
        let file = Self.rulesFile(home: home, configuration: configuration)
        let escalateAfter = try after.map { try DurationText.parse($0, option: "--after") }
        let (channel, target) = try channelSpec()

        var existing: Data?
        if FileManager.default.fileExists(atPath: file.path) { existing = try Data(contentsOf: file) }
        var edit: CaregiverRules
        let person: String
        do {
            edit = try CaregiverRules(fileContent: existing, person: configuration.person)
            person = CaregiverRules.personName(in: try edit.rules(), configured: configuration.person)
        } catch let error as SpasmError where error.code == .caregiverSetup {
            throw ValidationError(
                "\(file.path): \(error.description); nothing was changed (fix the file, or move it away to start from the standard rules)")
        }
        do {
            try edit.setCaregiver(name, channel: channel, escalateAfter: escalateAfter, person: person)
        } catch let error as SpasmError where error.code == .caregiverSetup {
            throw ValidationError("\(error.description); nothing was changed")
        }
        let rules: NotifyRules
        do {
            rules = try edit.rules()
            try rules.validate(origin: file.path)
        } catch let error as SpasmError where error.code == .caregiverSetup {
            throw ValidationError("\(file.path): \(error.description); nothing was changed")
        } catch let error as SpasmError where error.code == .notifyConfig {
            throw ValidationError("\(error.description); nothing was changed")
        }
        do {
            try AtomicFile.write(try edit.fileContent(), to: file, mode: configuration.bus.groupAccess ? 0o640 : 0o600)
        } catch let error as SpasmError where error.code == .atomicFile {
            throw ValidationError(error.description)
        }

        print("saved \(file.path): \(edit.changes.joined(separator: "; ")).")
        print("")
        print("A fall is now told to:")
        print(try Self.fallSummary(rules, person: person, configuration: configuration))
        if let target, !HomeNetwork.isLocal(target) {
            print("")
            print(
                "warning: \(target.host ?? target.absoluteString) is not on your home network: the words of every alert to \(name) — a fall, where, when — leave your home and pass through that server. Anyone who knows the \(ntfy != nil ? "topic name" : "URL") can read them: \(ntfy != nil ? "use a long random topic, or run ntfy on your home network" : "prefer a server on your home network")."
            )
        }
        print("")
        print("spasmwatch-notify reads notify.json again when it changes. Check what each receiver really gets: spasmwatch notify test")
    }

    /// The channel for the given flag, as notify.json spells it, and its URL (for the privacy warning).
    func channelSpec() throws -> ([String: Any], URL?) {
        if let ntfy {
            let url = try Self.httpURL(ntfy, option: "--ntfy")
            guard url.path.split(separator: "/").count >= 1 else {
                throw ValidationError("--ntfy \(ntfy): give the whole topic URL, e.g. https://ntfy.sh/anna-7f3k9q (the topic is the last part)")
            }
            var channel: [String: Any] = ["type": "webhook", "url": url.absoluteString, "format": "ntfy"]
            if !headers.isEmpty { channel["headers"] = try parsedHeaders() }
            return (channel, url)
        }
        if let webhook {
            let url = try Self.httpURL(webhook, option: "--webhook")
            var channel: [String: Any] = ["type": "webhook", "url": url.absoluteString]
            if !headers.isEmpty { channel["headers"] = try parsedHeaders() }
            return (channel, url)
        }
        let words = try CommandWords.split(command ?? "")
        guard let program = words.first else {
            throw ValidationError("--command: give a program, e.g. --command \"/usr/local/bin/send-sms +4917012345\"")
        }
        if program.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: program) else {
                throw ValidationError("--command: \(program) is not an executable file")
            }
        } else if !(ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") })
        {
            FileHandle.standardError.write(
                Data(
                    "spasmwatch: warning: \(program) is not on this shell's PATH; spasmwatch-notify looks it up on its own PATH (a full path is safer)\n"
                        .utf8))
        }
        return (["type": "command", "command": words], nil)
    }

    static func httpURL(_ text: String, option: String) throws -> URL {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            let host = url.host, !host.isEmpty
        else {
            throw ValidationError("\(option) \(text): expected a URL starting with http:// or https://, e.g. https://ntfy.sh/anna-7f3k9q")
        }
        return url
    }

    /// Where notify reads its rules: `notify.rulesFile` (relative to the home), else `<home>/notify.json`.
    static func rulesFile(home: DataHome, configuration: Configuration) -> URL {
        let configured = configuration.notify.rulesFile
        return configured.isEmpty
            ? home.root.appendingPathComponent("notify.json")
            : URL(fileURLWithPath: configured, relativeTo: home.root).standardizedFileURL
    }

    /// Who a fall reaches, in order, and when: the planner's own routing of a fall.
    static func fallSummary(_ rules: NotifyRules, person: String, configuration: Configuration) throws -> String {
        let settings = PlannerSettings(escalateAfterSeconds: rules.escalateAfterSeconds ?? configuration.notify.escalateAfterSeconds)
        let planner = NotificationPlanner(
            rules: rules, settings: settings,
            text: NotificationText(home: HomeClock(configuration: configuration)),
            clock: SystemClock())
        let fall = Alert(kind: "fall", severity: .critical, groupKey: "fall", title: "Possible fall", message: "", at: Date().timeIntervalSince1970)
        let routing = planner.route(fall, person: person)
        var rows: [[String]] = []
        func channels(_ name: String) -> String {
            (rules.receiver(named: name)?.channels ?? []).map(NotifyTestCommand.describe).joined(separator: "; ")
        }
        for (step, name) in routing.escalation.enumerated() {
            let when = step == 0 ? "at once" : "after \(DurationText.words(Double(step) * routing.escalateAfter)) if nobody answered"
            rows.append(["  \(name)", when, channels(name)])
        }
        for name in routing.immediate { rows.append(["  \(name)", "at once", channels(name)]) }
        if rules.caregivers(person: person).isEmpty { rows.append(["  ", NotifyRules.noCaregiverWarning, ""]) }
        return Format.table(rows)
    }
}
