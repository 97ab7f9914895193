import Foundation
import SpasmSync

/// The episodes whose Home Assistant event was fired, newest last, at most `capacity`; and
/// the latest `detectedAt` among those the broker has taken.
public struct FiredEpisodes: Sendable, Equatable, Codable {
    /// One event firing: which episode, detected when.
    public struct Firing: Sendable, Equatable {
        public var episodeId: UUID
        public var detectedAt: Double

        public init(episodeId: UUID, detectedAt: Double) {
            self.episodeId = episodeId
            self.detectedAt = detectedAt
        }
    }

    public static let capacity = 1000
    public private(set) var ids: [UUID] = []
    /// The newest `detectedAt` fired and taken by the broker (nil: none yet).
    public private(set) var firedThrough: Double?

    public init(ids: [UUID] = [], firedThrough: Double? = nil) {
        self.ids = Array(ids.suffix(Self.capacity))
        self.firedThrough = firedThrough
    }

    public func contains(_ id: UUID) -> Bool { ids.contains(id) }

    mutating func add(_ id: UUID) {
        guard !ids.contains(id) else { return }
        ids.append(id)
        if ids.count > Self.capacity { ids.removeFirst(ids.count - Self.capacity) }
    }

    /// The broker has the firing.
    public mutating func delivered(_ firing: Firing) {
        add(firing.episodeId)
        firedThrough = max(firedThrough ?? firing.detectedAt, firing.detectedAt)
    }
}

/// spasmwatch-mqtt's record of what it fired, kept in the home (`data/mqtt-fired.json`,
/// 0600) so that a restart fires what came while it was down, and nothing twice.
///
/// Written when the broker has taken a firing (QoS 1: at least once). On start the store's
/// episodes detected after `firedThrough` (less `slack`, for episodes stored out of order;
/// at most `catchUpWindow` back) that are not among `ids` are fired, marked late. A home
/// without the file (the first start) fires nothing from before, and the file is made.
public struct FiringJournal: Sendable {
    public let url: URL
    /// How far back a restart still fires: an event an hour late is news, one a day late is noise.
    public static let catchUpWindow: Double = 3600
    public static let slack: Double = 120

    public init(url: URL) { self.url = url }

    /// What was fired before; nil when there is no journal yet. An unreadable file is said
    /// in `problem` and counts as none (nothing is fired twice from it, and nothing late).
    public func load() -> (fired: FiredEpisodes?, problem: String?) {
        guard FileManager.default.fileExists(atPath: url.path) else { return (nil, nil) }
        do {
            return (try JSONDecoder().decode(FiredEpisodes.self, from: Data(contentsOf: url)), nil)
        } catch {
            return (nil, "\(url.path) cannot be read (\(error.localizedDescription)): no late events are fired this time; it is written again")
        }
    }

    /// Where a restart starts firing from, for a journal read at `now`.
    public static func catchUpFrom(_ fired: FiredEpisodes?, now: Double) -> Double? {
        guard let fired else { return nil }
        return max((fired.firedThrough ?? now) - slack, now - catchUpWindow)
    }

    public func save(_ fired: FiredEpisodes) throws {
        try AtomicFile.write(try JSONEncoder().encode(fired), to: url, mode: 0o600)
    }
}
