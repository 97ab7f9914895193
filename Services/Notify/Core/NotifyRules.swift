import Foundation
import SpasmConfig
import SpasmErrors
import SpasmSchema

/// The routing rules file (`<home>/notify.json`, or `notify.rulesFile`): who gets told
/// about what, and how. See docs/wire-format.md ("Notification rules") for the format.
///
/// ```json
/// {
///   "receivers": [
///     {"name": "me", "isPerson": true, "channels": [{"type": "console"}]},
///     {"name": "anna", "channels": [{"type": "webhook", "url": "https://ntfy.sh/anna-sw", "format": "ntfy"}]}
///   ],
///   "routes": [
///     {"match": {"severities": ["critical"]}, "receivers": ["me", "anna"], "escalate": true},
///     {"receivers": ["me"]}
///   ],
///   "quietHours": {"start": "22:00", "end": "07:00"}
/// }
/// ```
public struct NotifyRules: Codable, Sendable, Equatable {
    public var receivers: [Receiver]
    /// Tried in order; the first that matches decides, unless it says `continue`.
    public var routes: [Route]
    /// Overrides `notify.quietHoursStart`/`End`.
    public var quietHours: DailyWindow?
    /// Override the matching `notify.*` settings.
    public var groupWaitSeconds: Double?
    public var repeatIntervalSeconds: Double?
    public var escalateAfterSeconds: Double?
    /// Names to use in messages for person ids ("me" → "Sam").
    public var names: [String: String]?

    public init(
        receivers: [Receiver], routes: [Route], quietHours: DailyWindow? = nil, groupWaitSeconds: Double? = nil,
        repeatIntervalSeconds: Double? = nil, escalateAfterSeconds: Double? = nil, names: [String: String]? = nil
    ) {
        self.receivers = receivers
        self.routes = routes
        self.quietHours = quietHours
        self.groupWaitSeconds = groupWaitSeconds
        self.repeatIntervalSeconds = repeatIntervalSeconds
        self.escalateAfterSeconds = escalateAfterSeconds
        self.names = names
    }

    /// Someone who is told: the person, a caregiver, a nurse's station.
    public struct Receiver: Codable, Sendable, Equatable {
        public var name: String
        /// True for the person the alerts are about: their messages say "you" and offer "I'm OK".
        public var isPerson: Bool?
        public var channels: [ChannelSpec]

        public init(name: String, isPerson: Bool? = nil, channels: [ChannelSpec]) {
            self.name = name
            self.isPerson = isPerson
            self.channels = channels
        }
    }

    /// Which alerts go to which receivers.
    public struct Route: Codable, Sendable, Equatable {
        /// Empty or absent: every alert.
        public var match: Match?
        /// In escalation order when `escalate` is on; all at once otherwise.
        public var receivers: [String]
        /// Critical alerts go to one receiver at a time until someone acknowledges. Default:
        /// on for critical alerts.
        public var escalate: Bool?
        public var escalateAfterSeconds: Double?
        /// Keep looking at later routes after this one matched.
        public var `continue`: Bool?

        public init(
            match: Match? = nil, receivers: [String], escalate: Bool? = nil, escalateAfterSeconds: Double? = nil,
            continue: Bool? = nil
        ) {
            self.match = match
            self.receivers = receivers
            self.escalate = escalate
            self.escalateAfterSeconds = escalateAfterSeconds
            self.continue = `continue`
        }
    }

    /// Conditions; each one given must hold (lists: any of).
    public struct Match: Codable, Sendable, Equatable {
        public var kinds: [String]?
        public var severities: [AlertSeverity]?
        /// At least this severity.
        public var minSeverity: AlertSeverity?
        public var persons: [String]?
        /// The alert's site, or the limb it is part of ("left-leg" matches "left-calf").
        public var sites: [BodySite]?
        /// Local time of day the alert happened.
        public var between: DailyWindow?

        public init(
            kinds: [String]? = nil, severities: [AlertSeverity]? = nil, minSeverity: AlertSeverity? = nil,
            persons: [String]? = nil, sites: [BodySite]? = nil, between: DailyWindow? = nil
        ) {
            self.kinds = kinds
            self.severities = severities
            self.minSeverity = minSeverity
            self.persons = persons
            self.sites = sites
            self.between = between
        }
    }

    /// The one sentence, everywhere (status, deploy/stack up, the phone page, notify test),
    /// for a home where a fall reaches nobody but the person.
    public static let noCaregiverWarning = "No caregiver is set up: a fall reaches only you."

    /// Names of receivers other than the person that some route can reach with a fall (a
    /// critical alert), in the order the routes name them. Empty: a fall reaches only the person.
    public var caregivers: [String] { caregivers(person: nil) }

    /// `caregivers` for one person (`persons` matches are then checked; without a person,
    /// a receiver without `isPerson` is the person when it is named like the default person).
    public func caregivers(person: String?) -> [String] {
        var out: [String] = []
        for route in routes {
            let match = route.match
            if let kinds = match?.kinds, !kinds.contains("fall") { continue }
            if let severities = match?.severities, !severities.contains(.critical) { continue }
            if let person, let persons = match?.persons, !persons.contains(person) { continue }
            for name in route.receivers where !out.contains(name) {
                guard let receiver = receiver(named: name), !(receiver.isPerson ?? (name == (person ?? Person.defaultId))) else { continue }
                out.append(name)
            }
            // A route that takes every fall and does not continue hides the routes after it.
            let takesEveryFall = match?.sites == nil && match?.between == nil && (match?.persons == nil || person != nil)
            if takesEveryFall && route.continue != true { break }
        }
        return out
    }

    /// With no rules file: the person, on the console and a JSON-lines file.
    public static func standard(person: String) -> NotifyRules {
        NotifyRules(
            receivers: [
                Receiver(
                    name: person, isPerson: true,
                    channels: [ChannelSpec(type: .console), ChannelSpec(type: .file, path: "logs/notifications.jsonl")])
            ],
            routes: [Route(receivers: [person])])
    }

    /// Where this home's rules file is: `notify.rulesFile` (relative to the home), else
    /// `<home>/notify.json`.
    public static func fileURL(home: DataHome, configuration: Configuration) -> URL {
        let configured = configuration.notify.rulesFile
        return configured.isEmpty
            ? home.root.appendingPathComponent("notify.json")
            : URL(fileURLWithPath: configured, relativeTo: home.root).standardizedFileURL
    }

    /// The rules file for this home: `notify.rulesFile`, else `<home>/notify.json`, else `standard`.
    public static func load(home: DataHome, configuration: Configuration) throws -> NotifyRules {
        let url = fileURL(home: home, configuration: configuration)
        guard FileManager.default.fileExists(atPath: url.path) else {
            if !configuration.notify.rulesFile.isEmpty { throw SpasmError(.notifyConfig, "notify.rulesFile: \(url.path) does not exist") }
            return standard(person: configuration.person)
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SpasmError(.notifyConfig, "\(url.path): cannot be read (\(error.localizedDescription))")
        }
        return try parse(data, origin: url.path)
    }

    /// Reads and checks a rules file's text. The error names the place: "line 3, column 7: …"
    /// for a syntax error, the field path ("receivers[1].channels[0].url: …") otherwise.
    public static func parse(_ data: Data, origin: String) throws -> NotifyRules {
        if let syntax = FlatJSON.syntaxError(in: data) { throw SpasmError(.notifyConfig, "\(origin): \(syntax)") }
        let rules: NotifyRules
        do {
            rules = try JSONDecoder().decode(NotifyRules.self, from: data)
        } catch {
            throw SpasmError(.notifyConfig, "\(origin): \(describe(error))")
        }
        try rules.validate(origin: origin)
        return rules
    }

    /// A decoding error as "receivers[0].channels[1].type: …".
    static func describe(_ error: Error) -> String {
        guard let decodingError = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing (this field is required)"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let expected =
                type == String.self
                ? "a string"
                : type == Bool.self
                    ? "true or false"
                    : (type == Double.self || type == Int.self)
                        ? "a number"
                        : "\(type)".contains("Array")
                            ? "a list [ … ]"
                            : "\(type)".contains("Dictionary") ? "an object { … }" : "\(type)"
            return "\(path(context.codingPath)): should be \(expected)"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Checks names, references and values; the error gives the field path and what to fix.
    public func validate(origin: String) throws {
        func fail(_ path: String, _ message: String) -> SpasmError { SpasmError(.notifyConfig, "\(origin): \(path): \(message)") }
        if receivers.isEmpty {
            throw fail("receivers", "is empty; add at least {\"name\": \"me\", \"isPerson\": true, \"channels\": [{\"type\": \"console\"}]}")
        }
        var names = Set<String>()
        for (index, receiver) in receivers.enumerated() {
            let at = "receivers[\(index)]"
            if receiver.name.isEmpty { throw fail("\(at).name", "is empty; give the receiver a name") }
            guard names.insert(receiver.name).inserted else { throw fail("\(at).name", "receiver '\(receiver.name)' is listed twice") }
            if receiver.channels.isEmpty { throw fail("\(at).channels", "is empty; receiver '\(receiver.name)' needs at least one channel") }
            for (number, channel) in receiver.channels.enumerated() {
                try channel.validate(origin: origin, at: "\(at).channels[\(number)]")
            }
        }
        if routes.isEmpty { throw fail("routes", "is empty; add at least {\"receivers\": [\"\(receivers[0].name)\"]}") }
        for (index, route) in routes.enumerated() {
            let at = "routes[\(index)]"
            if route.receivers.isEmpty { throw fail("\(at).receivers", "is empty; name at least one receiver") }
            for (number, name) in route.receivers.enumerated() where !names.contains(name) {
                throw fail(
                    "\(at).receivers[\(number)]", "names receiver '\(name)', which is not in receivers (\(names.sorted().joined(separator: ", ")))")
            }
            if let after = route.escalateAfterSeconds, !(after > 0) { throw fail("\(at).escalateAfterSeconds", "must be above 0") }
            try route.match?.between?.validate("\(origin): \(at).match.between")
        }
        try quietHours?.validate("\(origin): quietHours")
        for (field, value) in [("groupWaitSeconds", groupWaitSeconds), ("repeatIntervalSeconds", repeatIntervalSeconds)] {
            if let value, !(value >= 0) { throw fail(field, "must be 0 or more") }
        }
        if let after = escalateAfterSeconds, !(after > 0) { throw fail("escalateAfterSeconds", "must be above 0") }
    }

    public func receiver(named name: String) -> Receiver? { receivers.first { $0.name == name } }
}

/// One way to reach a receiver.
public struct ChannelSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable, NamedChoice { case console, file, webhook, command }
    /// Webhook bodies: our JSON, ntfy (text body, Title/Priority/Tags headers), Home Assistant.
    public enum WebhookFormat: String, Codable, Sendable, CaseIterable, NamedChoice { case json, ntfy, homeassistant }

    public var type: Kind
    /// file: where (relative paths are inside the data home).
    public var path: String?
    /// webhook: where to POST.
    public var url: String?
    public var format: WebhookFormat?
    /// webhook: extra headers (e.g. an Authorization token).
    public var headers: [String: String]?
    /// command: program and arguments; it gets the notification as JSON on stdin.
    public var command: [String]?
    /// Overrides of `notify.*` timeouts and retries for this channel.
    public var timeoutSeconds: Double?
    public var maxAttempts: Int?
    public var backoffSeconds: Double?

    public init(
        type: Kind, path: String? = nil, url: String? = nil, format: WebhookFormat? = nil,
        headers: [String: String]? = nil, command: [String]? = nil, timeoutSeconds: Double? = nil,
        maxAttempts: Int? = nil, backoffSeconds: Double? = nil
    ) {
        self.type = type
        self.path = path
        self.url = url
        self.format = format
        self.headers = headers
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.backoffSeconds = backoffSeconds
    }

    /// A short name for logs and `delivery.<channel>` topics: "console", "webhook".
    public var name: String { type.rawValue }

    func validate(origin: String, at place: String) throws {
        func fail(_ field: String, _ message: String) -> SpasmError { SpasmError(.notifyConfig, "\(origin): \(place)\(field): \(message)") }
        switch type {
        case .console: break
        case .file:
            if (path ?? "").isEmpty { throw fail(".path", "a file channel needs \"path\" (e.g. \"logs/notifications.jsonl\")") }
        case .webhook:
            guard let url, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw fail(
                    ".url",
                    url == nil
                        ? "missing: a webhook channel needs \"url\" starting with http:// or https://"
                        : "'\(url!)' is not a URL starting with http:// or https://")
            }
        case .command:
            if (command ?? []).isEmpty { throw fail(".command", "a command channel needs \"command\": [\"program\", \"arg\"…]") }
        }
        if let maxAttempts, maxAttempts < 1 { throw fail(".maxAttempts", "must be at least 1") }
        if let timeoutSeconds, !(timeoutSeconds > 0) { throw fail(".timeoutSeconds", "must be above 0") }
        if let backoffSeconds, !(backoffSeconds >= 0) { throw fail(".backoffSeconds", "must be 0 or more") }
    }
}

/// A string field with a fixed set of values: a wrong one is an error that lists them.
public protocol NamedChoice: RawRepresentable<String>, CaseIterable, Decodable {}

extension NamedChoice {
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: raw) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "'\(raw)' is not allowed; use one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        self = value
    }
}
