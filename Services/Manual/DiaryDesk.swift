import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmReliability
import SpasmSchema

extension SpasmError.Code {
    /// The entry (or acknowledgement, help request) was fine but could not be kept or read:
    /// the outbox or the journal failed. The JSON API answers 500 for it, not 400.
    static let diaryUnsaved = SpasmError.Code("diary.unsaved")
}

/// Where every diary entry is accepted, whichever way it came (CLI request, phone page,
/// JSON API): validated, written to the durable outbox (so "saved" means on disk), published
/// on `manual.entry` until storage's stored receipt, and noted in the journal for the recent
/// list. One actor, so two copies of one entry id never race.
actor DiaryDesk {
    let journal: DiaryJournal
    let sender: ReliableSender
    let board: EpisodeBoard
    let counters: CounterSet
    let person: String
    /// The home's clock: the time a reply says an entry was saved for.
    let clock: HomeClock
    let logger: Logger

    init(
        journal: DiaryJournal, sender: ReliableSender, board: EpisodeBoard, counters: CounterSet, person: String,
        clock: HomeClock, logger: Logger
    ) {
        self.journal = journal
        self.sender = sender
        self.board = board
        self.counters = counters
        self.person = person
        self.clock = clock
        self.logger = logger
    }

    /// Accepts one entry. A re-sent entry id answers "saved" again (duplicate) and adds nothing.
    func add(_ entry: DiaryEntry) async -> Result<SavedEntry, SpasmError> {
        do {
            try DiaryValidator.validate(entry)
        } catch {
            counters.add("entries.rejected")
            return .failure(error)
        }
        do {
            if try await journal.contains(entry.entryId) {
                counters.add("entries.duplicate")
                return .success(saved(entry, duplicate: true))
            }
            if let correction = entry.correction {
                guard let target = try await journal.entry(correction.targetEntryId) else {
                    return .failure(
                        SpasmError.diaryInvalid(
                            field: "correction.targetEntryId",
                            "no entry has the id \(correction.targetEntryId.uuidString.lowercased())"))
                }
                if target.retracted {
                    return .failure(
                        SpasmError.diaryInvalid(
                            field: "correction.targetEntryId",
                            "entry \(ShortId.of(correction.targetEntryId)) (\(DiaryText.summary(target.entry))) is already undone"))
                }
            }
            // The outbox first: durable before anyone hears "saved".
            try await sender.send(entry, topic: Topic.manualEntry, id: entry.entryId, person: person)
            try await journal.record(entry)
        } catch {
            counters.add("entries.failed")
            logger.error("could not save an entry", metadata: ["error": "\(error)"])
            return .failure(SpasmError(.diaryUnsaved, "could not save the entry: \(error)"))
        }
        counters.add("entries.accepted")
        counters.add("entries.\(entry.kind.rawValue)")
        if let c = entry.confirmation { await board.answer(c.episodeId, wasSpasm: c.wasSpasm) }
        logger.info(
            "entry saved",
            metadata: [
                "entryId": "\(ShortId.of(entry.entryId))", "kind": "\(entry.kind.rawValue)",
                "via": "\(entry.via)",
            ])
        return .success(saved(entry, duplicate: false))
    }

    func saved(_ entry: DiaryEntry, duplicate: Bool) -> SavedEntry {
        SavedEntry(
            entryId: entry.entryId, shortId: ShortId.of(entry.entryId), summary: DiaryText.summary(entry), duplicate: duplicate,
            time: clock.describe(DiaryText.time(of: entry)))
    }

    /// Retracts `target` (an id or unique prefix), or the last entry when nil.
    func undo(target: String?, via: String) async -> Result<SavedEntry, SpasmError> {
        let targetId: UUID
        do {
            if let target {
                targetId = try ShortId.resolve(target, among: try await journal.ids(startingWith: ShortId.normalize(target)), what: "entry")
            } else {
                guard let last = try await journal.lastUndoable() else {
                    return .failure(SpasmError.diaryInvalid(field: "entry", "there is no entry to undo"))
                }
                targetId = last.entryId
            }
        } catch let error as SpasmError where error.code == .diaryInvalid {
            return .failure(error)
        } catch {
            return .failure(SpasmError(.diaryUnsaved, "could not read the diary: \(error)"))
        }
        let correction = DiaryEntry(
            recordedAt: Date().timeIntervalSince1970, via: via, kind: .correction,
            correction: CorrectionRecord(targetEntryId: targetId, action: .retract))
        return await add(correction)
    }

    /// Answers "was this a spasm?" for an episode (id or unique prefix among recent episodes).
    func confirm(episode: String, wasSpasm: Bool, via: String) async -> Result<SavedEntry, SpasmError> {
        let episodeId: UUID
        if let full = UUID(uuidString: episode) {
            episodeId = full
        } else {
            do {
                episodeId = try ShortId.resolve(episode, among: await board.episodeIds(), what: "episode")
            } catch {
                return .failure(error)
            }
        }
        let entry = DiaryEntry(
            recordedAt: Date().timeIntervalSince1970, via: via, kind: .confirmation,
            confirmation: EpisodeConfirmation(episodeId: episodeId, wasSpasm: wasSpasm))
        return await add(entry)
    }

    /// Recent entries, newest first, each with whether storage has confirmed it (a refused
    /// entry is not stored: it carries storage's reason instead).
    func recent(limit: Int) async throws -> [RecentEntry] {
        let waiting = try await DiaryOutbox.pendingIds(in: sender.outbox)
        let refused = Dictionary(try await sender.outbox.refused().map { ($0.id, $0.reason) }, uniquingKeysWith: { first, _ in first })
        return try await journal.recent(limit: max(1, min(limit, 500))).map { item in
            let reason = refused[item.entry.entryId]
            return RecentEntry(
                entry: item.entry, shortId: ShortId.of(item.entry.entryId), summary: DiaryText.summary(item.entry),
                at: DiaryText.time(of: item.entry), retracted: item.retracted,
                stored: !waiting.contains(item.entry.entryId) && reason == nil, refused: reason)
        }
    }

    /// Entries the CLI wrote into the outbox while this service was down: noted in the
    /// journal (the sender publishes them anyway, as they are due).
    @discardableResult
    func importFromOutbox() async throws -> Int {
        var imported = 0
        let pending = try await DiaryOutbox.pendingEntries(in: sender.outbox)
        let unknown = try await journal.unknown(pending.map(\.entryId))
        for entry in pending where unknown.contains(entry.entryId) {
            guard try await journal.record(entry) else { continue }
            imported += 1
            if let c = entry.confirmation { await board.answer(c.episodeId, wasSpasm: c.wasSpasm) }
        }
        if imported > 0 {
            counters.add("entries.imported_from_outbox", Int64(imported))
            logger.info("entries written while the service was down", metadata: ["count": "\(imported)"])
        }
        return imported
    }

    /// An alert id, or a unique prefix among the open alerts.
    func resolveAlert(_ alert: String) async -> Result<UUID, SpasmError> {
        if let full = UUID(uuidString: alert) { return .success(full) }
        do {
            return .success(try ShortId.resolve(alert, among: await board.openAlertIds(), what: "alert"))
        } catch {
            return .failure(error)
        }
    }

    /// "I'm OK" to an alert: an `Acknowledgement`, sent reliably. `by`: the person (the
    /// page), or the receiver whose action link was used ("anna").
    func acknowledge(alert: String, falseAlarm: Bool, via: String, by: String? = nil) async -> Result<UUID, SpasmError> {
        let alertId: UUID
        switch await resolveAlert(alert) {
        case .success(let id): alertId = id
        case .failure(let error): return .failure(error)
        }
        let now = Date().timeIntervalSince1970
        let ack = Acknowledgement(alertId: alertId, by: by ?? person, at: now, falseAlarm: falseAlarm, via: via)
        do {
            try await sender.send(ack, topic: Topic.acknowledgement, person: person)
        } catch {
            return .failure(SpasmError(.diaryUnsaved, "could not save the acknowledgement: \(error)"))
        }
        await board.acknowledged(alertId, by: ack.by, at: now)
        counters.add("alerts.acknowledged")
        return .success(alertId)
    }

    /// "I need help" (OSD's manual alarm): a `HelpRequest`, sent reliably; notify tells
    /// everyone left on the alert's escalation at once.
    func requestHelp(alert: String, via: String, by: String? = nil) async -> Result<UUID, SpasmError> {
        let alertId: UUID
        switch await resolveAlert(alert) {
        case .success(let id): alertId = id
        case .failure(let error): return .failure(error)
        }
        let help = HelpRequest(alertId: alertId, by: by ?? person, at: Date().timeIntervalSince1970, via: via)
        do {
            try await sender.send(help, topic: Topic.helpRequest, person: person)
        } catch {
            return .failure(SpasmError(.diaryUnsaved, "could not save the help request: \(error)"))
        }
        await board.helpRequested(alertId, by: help.by)
        counters.add("alerts.help_requested")
        logger.notice("help requested", metadata: ["alert": "\(ShortId.of(alertId))", "by": "\(help.by)", "via": "\(via)"])
        return .success(alertId)
    }

    /// "Clear all" on the page: the routine alerts it shows are noted in the journal (so they
    /// stay cleared after a restart), then leave the page. Nobody is told; storage keeps them.
    /// `only`: the ones the page showed (one that came since stays).
    func clearRoutineAlerts(only shown: Set<UUID>? = nil) async -> Result<Int, SpasmError> {
        let routine = await board.routineAlerts().filter { shown?.contains($0.id) ?? true }
        do {
            try await journal.clear(alerts: routine)
        } catch {
            logger.error("could not keep the cleared alerts", metadata: ["error": "\(error)"])
            return .failure(SpasmError(.diaryUnsaved, "could not keep the cleared alerts: \(error)"))
        }
        await board.clear(routine)
        counters.add("alerts.cleared", Int64(routine.count))
        return .success(routine.count)
    }

    /// Answers one CLI request.
    func handle(_ request: ManualRequest) async -> ManualReply {
        guard request.v == SchemaVersion.current else {
            return ManualReply(ok: false, error: "\(SpasmError.schemaUnsupportedVersion(request.v))", field: "v")
        }
        let via = request.via ?? "cli"
        func reply(_ result: Result<SavedEntry, SpasmError>) -> ManualReply {
            switch result {
            case .success(let saved): ManualReply(ok: true, saved: saved)
            case .failure(let error): .failure(error)
            }
        }
        switch request.op {
        case .add:
            guard let entry = request.entry else {
                return .failure(SpasmError.diaryInvalid(field: "entry", "an 'add' request needs an entry"))
            }
            return reply(await add(entry))
        case .undo:
            return reply(await undo(target: request.target, via: via))
        case .confirm:
            guard let episode = request.episode, let wasSpasm = request.wasSpasm else {
                return .failure(SpasmError.diaryInvalid(field: "episode", "a 'confirm' request needs episode and wasSpasm"))
            }
            return reply(await confirm(episode: episode, wasSpasm: wasSpasm, via: via))
        case .recent:
            do {
                return ManualReply(ok: true, entries: try await recent(limit: request.limit ?? 20))
            } catch {
                return ManualReply(ok: false, error: "could not read the diary: \(error)")
            }
        case .episodes:
            return ManualReply(ok: true, episodes: await board.episodes(limit: request.limit ?? 20))
        }
    }
}
