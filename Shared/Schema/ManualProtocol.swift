import Foundation

/// A request from the CLI to `spasmwatch-manual` over its local REQ/REP endpoint
/// (`ipc://<run>/manual.sock`), one JSON object per message (docs/wire-format.md).
public struct ManualRequest: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        /// Validate, write to the outbox, publish: `entry`.
        case add
        /// Recent entries, newest first: `limit`.
        case recent
        /// Retract an entry: `target` (an id or unique prefix; the last entry when absent), `via`.
        case undo
        /// Answer "was this a spasm?": `episode` (id or unique prefix), `wasSpasm`, `via`.
        case confirm
        /// Recently detected episodes, newest first: `limit`.
        case episodes
    }

    public var v: Int = 1
    public var op: Operation
    public var entry: DiaryEntry?
    public var limit: Int?
    public var target: String?
    public var episode: String?
    public var wasSpasm: Bool?
    public var via: String?

    public init(
        op: Operation, entry: DiaryEntry? = nil, limit: Int? = nil, target: String? = nil,
        episode: String? = nil, wasSpasm: Bool? = nil, via: String? = nil
    ) {
        self.op = op
        self.entry = entry
        self.limit = limit
        self.target = target
        self.episode = episode
        self.wasSpasm = wasSpasm
        self.via = via
    }
}

/// The manual service's answer. `ok` false carries `error` (the sentence to show) and,
/// for a refused entry, `field`.
public struct ManualReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var error: String?
    public var field: String?
    public var saved: SavedEntry?
    public var entries: [RecentEntry]?
    public var episodes: [EpisodeSummary]?

    public init(
        ok: Bool, error: String? = nil, field: String? = nil, saved: SavedEntry? = nil,
        entries: [RecentEntry]? = nil, episodes: [EpisodeSummary]? = nil
    ) {
        self.ok = ok
        self.error = error
        self.field = field
        self.saved = saved
        self.entries = entries
        self.episodes = episodes
    }
}

/// "Saved": the entry is in the durable outbox (and will reach storage).
public struct SavedEntry: Codable, Sendable, Equatable {
    public var entryId: UUID
    public var shortId: String
    /// One line a person reads: "spasm, left calf, tonic, moderate (2), pain 6, 45 s".
    public var summary: String
    /// True when this entry id had been saved before (a re-send): nothing new was added.
    public var duplicate: Bool
    /// When the entry says it happened, on the home's clock as people read it ("10:42",
    /// "yesterday 23:00"): the time a page shows as saved (the manual service's replies).
    public var time: String?

    public init(entryId: UUID, shortId: String, summary: String, duplicate: Bool, time: String? = nil) {
        self.entryId = entryId
        self.shortId = shortId
        self.summary = summary
        self.duplicate = duplicate
        self.time = time
    }
}

/// One entry in the recent list (`spasmwatch recent`, `GET /api/entries`).
public struct RecentEntry: Codable, Sendable, Equatable {
    public var entry: DiaryEntry
    public var shortId: String
    public var summary: String
    /// When it happened (the record's `at`, else `recordedAt`).
    public var at: Double
    /// A later correction retracted it.
    public var retracted: Bool
    /// Storage has confirmed it is on disk (its stored receipt arrived).
    public var stored: Bool
    /// Storage refused it, and why (its refused receipt; then `stored` is false).
    public var refused: String?

    public init(entry: DiaryEntry, shortId: String, summary: String, at: Double, retracted: Bool, stored: Bool, refused: String? = nil) {
        self.entry = entry
        self.shortId = shortId
        self.summary = summary
        self.at = at
        self.retracted = retracted
        self.stored = stored
        self.refused = refused
    }
}

/// A detected episode as the diary shows it, with the person's answer if any.
public struct EpisodeSummary: Codable, Sendable, Equatable {
    public var episode: EpisodeEvent
    public var shortId: String
    public var summary: String
    /// The person's answer to "was this a spasm?" (nil: not answered yet).
    public var wasSpasm: Bool?

    public init(episode: EpisodeEvent, shortId: String, summary: String, wasSpasm: Bool?) {
        self.episode = episode
        self.shortId = shortId
        self.summary = summary
        self.wasSpasm = wasSpasm
    }
}

/// An alert not yet acknowledged, as the phone page shows it.
public struct OpenAlert: Codable, Sendable, Equatable {
    public var alert: Alert
    public var shortId: String
    /// Someone pressed "I need help" for it (who): everyone was told; "I'm OK" still ends it.
    public var helpRequestedBy: String?

    public init(alert: Alert, shortId: String, helpRequestedBy: String? = nil) {
        self.alert = alert
        self.shortId = shortId
        self.helpRequestedBy = helpRequestedBy
    }
}

/// Short ids: the first 8 hex digits of a UUID, lower case. Shown everywhere; any unique
/// prefix is accepted back.
public enum ShortId {
    public static func of(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }

    /// Normalises what a person typed: lower case, no spaces.
    public static func normalize(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased()
    }
}
