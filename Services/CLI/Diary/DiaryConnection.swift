import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// How the CLI reaches the diary: a request to `spasmwatch-manual` on its local endpoint;
/// when the service is not running, entries go straight into its durable outbox (the
/// service sends them when it starts), so nothing a person writes is ever refused for that.
struct DiaryConnection: Sendable {
    let home: DataHome
    let configuration: Configuration
    let clock: HomeClock
    let client: RequestClient<ManualRequest, ManualReply>

    init(options: CommonOptions) throws {
        (home, configuration) = try options.load()
        clock = HomeClock(configuration: configuration)
        client = RequestClient(
            context: ProcessContext.shared,
            endpoint: Endpoints(home: home, configuration: configuration).manualRequests, name: "diary")
    }

    var endpoint: String { client.endpoint }

    /// Sends one request; nil when the manual service did not answer within `timeout` seconds.
    func send(_ request: ManualRequest, timeout: Double = 5) async -> ManualReply? {
        try? await client.ask(request, timeout: timeout)
    }

    /// Where an entry ended up.
    enum Outcome {
        /// Accepted by the manual service (in its outbox, on its way to storage).
        case saved(SavedEntry)
        /// The service was down: written into its outbox file here.
        case savedHere(SavedEntry, outbox: URL)
    }

    /// Validates and saves an entry.
    func save(_ entry: DiaryEntry) async throws -> Outcome {
        do {
            try DiaryValidator.validate(entry)
        } catch {
            throw SpasmError(.diary, error.message)
        }
        if let reply = await send(ManualRequest(op: .add, entry: entry)) {
            guard reply.ok, let saved = reply.saved else { throw SpasmError(.diary, reply.error ?? "the manual service refused the entry") }
            return .saved(saved)
        }
        let url = home.outbox(for: DiaryOutbox.source)
        try home.prepare(groupAccess: configuration.bus.groupAccess)
        let outbox = try Outbox.open(url: url)
        try await DiaryOutbox.enqueue(entry, in: outbox, person: configuration.person)
        let saved = SavedEntry(
            entryId: entry.entryId, shortId: ShortId.of(entry.entryId), summary: DiaryText.summary(entry),
            duplicate: false)
        return .savedHere(saved, outbox: url)
    }

    /// Prints what happened to an entry, the way every `log` command does; with the entry, the
    /// time it was saved for ("for 10:42", "for yesterday 23:00"), so a wrong `--at` shows at once.
    func report(_ outcome: Outcome, verb: String = "saved", entry: DiaryEntry? = nil) {
        let when = entry.map { "  (for \(clock.describe(DiaryText.time(of: $0))))" } ?? ""
        switch outcome {
        case .saved(let saved):
            print("\(saved.duplicate ? "already \(verb)" : verb) \(saved.shortId)  \(saved.summary)\(when)")
        case .savedHere(let saved, let url):
            print("\(verb) \(saved.shortId)  \(saved.summary)\(when)")
            print("note: the manual service is not running, so the entry was written to its outbox here (\(url.path));")
            print("      it is sent when spasmwatch-manual starts (deploy/stack start spasmwatch-manual).")
        }
    }

    /// The diary's recent entries: from the manual service, or this machine's files when it is down.
    func history() async -> any DiaryHistory {
        if await send(ManualRequest(op: .recent, limit: 1), timeout: 3) != nil { return ManualServiceHistory(connection: self) }
        return LocalDiaryHistory(home: home)
    }
}

extension SpasmError {
    /// Runs `body`, printing a diary failure (`.diary`, `.diaryInvalid`: the sentence, nothing else) as one
    /// line on stderr (exit 2).
    static func reportingDiary(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as SpasmError where failure.code == .diary || failure.code == .diaryInvalid {
            FileHandle.standardError.write(Data("spasmwatch: \(failure.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// Where the recent list comes from. Today the manual service (or its files); storage's
/// query client can take its place without the commands changing.
protocol DiaryHistory: Sendable {
    var origin: String { get }
    func recent(limit: Int) async throws -> [RecentEntry]
}

/// The manual service's own record of what it accepted.
struct ManualServiceHistory: DiaryHistory {
    let connection: DiaryConnection
    var origin: String { "spasmwatch-manual" }

    func recent(limit: Int) async throws -> [RecentEntry] {
        guard let reply = await connection.send(ManualRequest(op: .recent, limit: limit)) else {
            throw SpasmError(.diary, "the manual service stopped answering")
        }
        guard reply.ok else { throw SpasmError(.diary, reply.error ?? "the manual service could not list entries") }
        return reply.entries ?? []
    }
}

/// With the service down: its journal plus what waits in its outbox, read from disk.
struct LocalDiaryHistory: DiaryHistory {
    let home: DataHome
    var origin: String { "this machine's diary files (spasmwatch-manual is not running)" }

    func recent(limit: Int) async throws -> [RecentEntry] {
        var byId: [UUID: RecentEntry] = [:]
        var waiting = Set<UUID>()
        let outboxURL = home.outbox(for: DiaryOutbox.source)
        if FileManager.default.fileExists(atPath: outboxURL.path) {
            let outbox = try Outbox.open(url: outboxURL)
            waiting = try await DiaryOutbox.pendingIds(in: outbox)
            for entry in try await DiaryOutbox.pendingEntries(in: outbox) {
                byId[entry.entryId] = RecentEntry(
                    entry: entry, shortId: ShortId.of(entry.entryId), summary: DiaryText.summary(entry),
                    at: DiaryText.time(of: entry), retracted: false, stored: false)
            }
        }
        if FileManager.default.fileExists(atPath: home.diaryJournal.path) {
            let journal = try DiaryJournal.open(url: home.diaryJournal)
            for item in try await journal.recent(limit: limit) {
                byId[item.entry.entryId] = RecentEntry(
                    entry: item.entry, shortId: ShortId.of(item.entry.entryId),
                    summary: DiaryText.summary(item.entry), at: DiaryText.time(of: item.entry),
                    retracted: item.retracted, stored: !waiting.contains(item.entry.entryId))
            }
        }
        // Retractions still waiting in the outbox apply too.
        for entry in byId.values.compactMap(\.entry.correction) where entry.action == .retract {
            byId[entry.targetEntryId]?.retracted = true
        }
        return byId.values.sorted { $0.entry.recordedAt > $1.entry.recordedAt }.prefix(limit).map { $0 }
    }
}
