import Foundation
import SpasmConfig
import SpasmErrors

/// `notify.json` as the running service sees it: which rules are in force, since when,
/// and what is wrong with the file on disk, if anything.
///
/// - The file is looked at every second (size, modification time, inode) and read again
///   when that changes, or at once on SIGHUP (`check(force: true)`); unchanged content is
///   not reloaded.
/// - A file that does not parse or validate changes nothing: the last good rules stay in
///   force and `problem` says why ("notify.json: line 3, column 7: …").
/// - Each good file is copied to `<home>/data/notify-rules.last-good.json`. Starting with a
///   bad file, notify uses that copy, or the standard rules (the person, on the console
///   and in logs/notifications.jsonl) when there never was a good one — it never refuses
///   to start: a fall told to the person beats a fall told to nobody.
/// - The default `notify.json` removed (and still gone a second later): the standard
///   rules, as at a start without it. A configured `notify.rulesFile` that is gone: kept, with a warning.
public struct RulesFile: Sendable {
    public let url: URL
    /// "notify.json", or the configured `notify.rulesFile` as written.
    public let name: String
    public let lastGoodURL: URL
    let configured: Bool
    let person: String
    private var signature: Signature?
    private var content: Data?
    private var missingChecks = 0
    public private(set) var status: Status

    struct Signature: Equatable {
        var size: Int
        var modified: Double
        var inode: Int
    }

    /// Where the rules in force came from, and the file's trouble.
    public struct Status: Sendable, Equatable {
        /// "notify.json", "standard rules (no notify.json)", or how an unusable file was stood in for.
        public var source: String
        /// When the rules in force were loaded (for a saved copy: when it was saved).
        public var loadedAt: Double
        /// Set while the file on disk is unusable: "notify.json: line 3, column 7: …".
        public var problem: String?
        /// True when the rules in force are the last good ones, not what is on disk.
        public var usingLastGood: Bool

        /// The heartbeat's `rules` sentence: "notify.json, loaded 10:02", or
        /// "last good from 10:02; notify.json: line 3, column 7: …".
        public func describe(_ home: HomeClock, now: Double) -> String {
            let when = home.describe(loadedAt, now: now)
            guard let problem else { return "\(source), loaded \(when)" }
            return usingLastGood ? "last good from \(when); \(problem)" : "\(source); \(problem)"
        }
    }

    /// What a check found.
    public enum Outcome: Sendable {
        case unchanged
        /// New rules, in force from now on.
        case loaded(NotifyRules)
        /// The file changed and is unusable (the message); the rules in force stay.
        case rejected(String)
    }

    public init(home: DataHome, configuration: Configuration) {
        url = NotifyRules.fileURL(home: home, configuration: configuration)
        configured = !configuration.notify.rulesFile.isEmpty
        name = configured ? configuration.notify.rulesFile : "notify.json"
        person = configuration.person
        lastGoodURL = home.dataDirectory.appendingPathComponent("notify-rules.last-good.json")
        status = Status(source: name, loadedAt: 0, problem: nil, usingLastGood: false)
    }

    var standardSource: String { "standard rules (no \(name))" }

    /// The rules to start with; never fails (see the type's notes).
    public mutating func start(now: Double) -> NotifyRules {
        signature = Self.signature(of: url)
        guard signature != nil || configured else {
            status = Status(source: standardSource, loadedAt: now, problem: nil, usingLastGood: false)
            return .standard(person: person)
        }
        switch read() {
        case .success(let rules):
            status = Status(source: name, loadedAt: now, problem: nil, usingLastGood: false)
            saveLastGood()
            return rules
        case .failure(let problem):
            if let data = try? Data(contentsOf: lastGoodURL), let rules = try? NotifyRules.parse(data, origin: lastGoodURL.path) {
                let saved =
                    (try? FileManager.default.attributesOfItem(atPath: lastGoodURL.path)[.modificationDate] as? Date)?
                    .map(\.timeIntervalSince1970) ?? now
                status = Status(source: name, loadedAt: saved, problem: problem.description, usingLastGood: true)
                return rules
            }
            status = Status(
                source: "standard rules (only the person, on the console and in logs/notifications.jsonl)",
                loadedAt: now, problem: problem.description, usingLastGood: false)
            return .standard(person: person)
        }
    }

    /// Looks at the file; `force` (SIGHUP) reads it even when it looks unchanged.
    public mutating func check(force: Bool = false, now: Double) -> Outcome {
        let current = Self.signature(of: url)
        if current == nil {
            defer { signature = nil }
            if configured {
                let problem = "\(name): does not exist"
                guard status.problem != problem else { return .unchanged }
                status.problem = problem
                status.usingLastGood = true
                content = nil
                return .rejected(problem)
            }
            // A removed notify.json means the standard rules, once it stays gone for a check
            // (an editor saving by rename leaves it missing for a moment).
            missingChecks += 1
            guard missingChecks >= 2, status.source != standardSource else { return .unchanged }
            content = nil
            status = Status(source: standardSource, loadedAt: now, problem: nil, usingLastGood: false)
            return .loaded(.standard(person: person))
        }
        missingChecks = 0
        guard force || current != signature else { return .unchanged }
        signature = current
        guard let data = try? Data(contentsOf: url) else {
            let problem = "\(name): cannot be read"
            status.problem = problem
            status.usingLastGood = true
            return .rejected(problem)
        }
        if data == content { return .unchanged }
        content = data
        do {
            let rules = try NotifyRules.parse(data, origin: name)
            status = Status(source: name, loadedAt: now, problem: nil, usingLastGood: false)
            saveLastGood()
            return .loaded(rules)
        } catch {
            let problem = "\(error)"
            status.problem = problem
            status.usingLastGood = status.source == name || status.usingLastGood
            return .rejected(problem)
        }
    }

    private mutating func read() -> Result<NotifyRules, SpasmError> {
        guard let data = try? Data(contentsOf: url) else {
            return .failure(SpasmError(.notifyConfig, signature == nil ? "\(name): does not exist" : "\(name): cannot be read"))
        }
        content = data
        do { return .success(try NotifyRules.parse(data, origin: name)) } catch let error as SpasmError where error.code == .notifyConfig {
            return .failure(error)
        } catch {
            return .failure(SpasmError(.notifyConfig, "\(name): \(error)"))
        }
    }

    /// Keeps a copy of the good file for a start with a broken one.
    private func saveLastGood() {
        guard let content, (try? Data(contentsOf: lastGoodURL)) != content else { return }
        try? FileManager.default.createDirectory(at: lastGoodURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? content.write(to: lastGoodURL, options: .atomic)
    }

    static func signature(of url: URL) -> Signature? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
        return Signature(
            size: (attributes[.size] as? NSNumber)?.intValue ?? -1,
            modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? 0)
    }
}
