import ArgumentParser
import Foundation
import SpasmSync
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema

/// `spasmwatch setup …`: set up a home without editing files by hand.
struct SetupGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Set up this home: who is told of a fall.",
        subcommands: [SetupCaregiverCommand.self])
}

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

    @Option(name: .customLong("header"), help: "An HTTP header for --ntfy or --webhook, e.g. \"Authorization: Bearer tk_…\" for an ntfy server with access control (repeatable).")
    var headers: [String] = []

    @Option(help: "How long a fall waits for an answer before this caregiver is told, e.g. 90s, 2m, 1m30s (default: as set, else notify.escalateAfterSeconds).")
    var after: String?

    func validate() throws {
        let given = [ntfy, webhook, command].compactMap { $0 }
        if given.count != 1 {
            throw ValidationError("give exactly one of --ntfy URL, --webhook URL or --command CMD (how \(name) is reached)")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 64
            || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
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
        } catch let error as CaregiverSetupError {
            throw ValidationError("\(file.path): \(error.description); nothing was changed (fix the file, or move it away to start from the standard rules)")
        }
        do {
            try edit.setCaregiver(name, channel: channel, escalateAfter: escalateAfter, person: person)
        } catch let error as CaregiverSetupError {
            throw ValidationError("\(error.description); nothing was changed")
        }
        let rules: NotifyRules
        do {
            rules = try edit.rules()
            try rules.validate(origin: file.path)
        } catch let error as CaregiverSetupError {
            throw ValidationError("\(file.path): \(error.description); nothing was changed")
        } catch let error as NotifyConfigError {
            throw ValidationError("\(error.description); nothing was changed")
        }
        do {
            try AtomicFile.write(try edit.fileContent(), to: file, mode: configuration.bus.groupAccess ? 0o640 : 0o600)
        } catch let error as AtomicFile.Failure {
            throw ValidationError(error.description)
        }

        print("saved \(file.path): \(edit.changes.joined(separator: "; ")).")
        print("")
        print("A fall is now told to:")
        print(try Self.fallSummary(rules, person: person, configuration: configuration))
        if let target, !HomeNetwork.isLocal(target) {
            print("")
            print("warning: \(target.host ?? target.absoluteString) is not on your home network: the words of every alert to \(name) — a fall, where, when — leave your home and pass through that server. Anyone who knows the \(ntfy != nil ? "topic name" : "URL") can read them: \(ntfy != nil ? "use a long random topic, or run ntfy on your home network" : "prefer a server on your home network").")
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
        guard let program = words.first else { throw ValidationError("--command: give a program, e.g. --command \"/usr/local/bin/send-sms +4917012345\"") }
        if program.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: program) else {
                throw ValidationError("--command: \(program) is not an executable file")
            }
        } else if !(ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }) {
            FileHandle.standardError.write(Data("spasmwatch: warning: \(program) is not on this shell's PATH; spasmwatch-notify looks it up on its own PATH (a full path is safer)\n".utf8))
        }
        return (["type": "command", "command": words], nil)
    }

    static func httpURL(_ text: String, option: String) throws -> URL {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              let host = url.host, !host.isEmpty else {
            throw ValidationError("\(option) \(text): expected a URL starting with http:// or https://, e.g. https://ntfy.sh/anna-7f3k9q")
        }
        return url
    }

    /// Where notify reads its rules: `notify.rulesFile` (relative to the home), else `<home>/notify.json`.
    static func rulesFile(home: DataHome, configuration: Configuration) -> URL {
        let configured = configuration.notify.rulesFile
        return configured.isEmpty ? home.root.appendingPathComponent("notify.json")
            : URL(fileURLWithPath: configured, relativeTo: home.root).standardizedFileURL
    }

    /// Who a fall reaches, in order, and when: the planner's own routing of a fall.
    static func fallSummary(_ rules: NotifyRules, person: String, configuration: Configuration) throws -> String {
        let settings = PlannerSettings(escalateAfterSeconds: rules.escalateAfterSeconds ?? configuration.notify.escalateAfterSeconds)
        let planner = NotificationPlanner(rules: rules, settings: settings,
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

/// Durations as people type them: "90s", "2m", "1m30s", "1h", or plain seconds "90".
enum DurationText {
    /// Exact words for a delay someone set: "90 seconds", "2 minutes", "2 minutes 30 seconds".
    static func words(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        func unit(_ n: Int, _ name: String) -> String { n == 1 ? "1 \(name)" : "\(n) \(name)s" }
        if s < 120 { return unit(s, "second") }
        let (h, m, rest) = (s / 3600, (s % 3600) / 60, s % 60)
        return [h > 0 ? unit(h, "hour") : nil, m > 0 ? unit(m, "minute") : nil, rest > 0 ? unit(rest, "second") : nil]
            .compactMap { $0 }.joined(separator: " ")
    }

    static func parse(_ text: String, option: String) throws -> Double {
        let problem = ValidationError("\(option) \(text): expected a duration such as 90s, 2m or 1m30s")
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Double(trimmed) {
            guard seconds > 0, seconds.isFinite else { throw problem }
            return seconds
        }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var total = 0.0, number = "", sawUnit = false
        for ch in trimmed {
            if ch.isNumber || ch == "." {
                number.append(ch)
            } else if let unit = units[ch], let value = Double(number) {
                total += value * unit
                number = ""
                sawUnit = true
            } else {
                throw problem
            }
        }
        guard sawUnit, number.isEmpty, total > 0 else { throw problem }
        return total
    }
}

/// Whether a URL's host is on the home network: loopback, private and link-local
/// addresses, and names that only resolve at home (`.local`, `.lan`, `.home`,
/// `.home.arpa`, `.internal`, or a name without a dot).
enum HomeNetwork {
    static func isLocal(_ url: URL) -> Bool {
        guard var host = url.host?.lowercased() else { return false }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        for suffix in [".local", ".lan", ".home", ".home.arpa", ".internal"] where host.hasSuffix(suffix) { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        if octets.count == 4, octets.allSatisfy({ $0 != nil && (0...255).contains($0!) }) {
            let a = octets[0]!, b = octets[1]!
            return a == 127 || a == 10 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && (64...127).contains(b))
        }
        if host.contains(":") {  // IPv6
            return host == "::1" || host.hasPrefix("fc") || host.hasPrefix("fd") || host.hasPrefix("fe80")
        }
        return !host.contains(".")
    }
}

/// A command line split into words, with '…' and "…" quoting and backslash escapes, as a
/// shell would (no variables, no globbing).
enum CommandWords {
    static func split(_ text: String) throws -> [String] {
        var words: [String] = [], word = "", inWord = false
        var quote: Character?
        var escaped = false
        for ch in text {
            if escaped { word.append(ch); escaped = false; inWord = true; continue }
            if ch == "\\" && quote != "'" { escaped = true; continue }
            if let q = quote {
                if ch == q { quote = nil } else { word.append(ch) }
                continue
            }
            if ch == "'" || ch == "\"" { quote = ch; inWord = true; continue }
            if ch.isWhitespace {
                if inWord { words.append(word); word = ""; inWord = false }
                continue
            }
            word.append(ch)
            inWord = true
        }
        if quote != nil || escaped { throw ValidationError("--command \(text): a quote is not closed") }
        if inWord { words.append(word) }
        return words
    }
}
