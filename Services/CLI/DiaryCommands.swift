import ArgumentParser
import Foundation
import SpasmDiary
import SpasmReliability
import SpasmRuntime
import SpasmSchema

/// `spasmwatch recent`: the latest diary entries with their ids.
struct RecentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recent",
        abstract: "Recent diary entries, newest first, with the ids undo accepts.")

    @OptionGroup var options: CommonOptions

    @Option(help: "How many.")
    var limit: Int = 20

    @Flag(help: "One JSON object per entry.")
    var json = false

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            let history = await connection.history()
            let entries = try await history.recent(limit: limit)
            if json {
                for entry in entries { print(String(decoding: try WireCodec.encode(entry), as: UTF8.self)) }
                return
            }
            if !(history is ManualServiceHistory) { print("(from \(history.origin))") }
            guard !entries.isEmpty else {
                print("No diary entries yet. Write one: spasmwatch log spasm --site left-calf --type tonic --severity 2")
                return
            }
            var rows = [["ID", "WHEN", "ENTRY", "STATE", "VIA"]]
            for e in entries {
                let state = e.retracted ? "undone" : e.refused != nil ? "refused by storage" : e.stored ? "stored" : "sending"
                rows.append([e.shortId, connection.clock.describe(e.at), e.summary, state, e.entry.via])
            }
            // The summary can be long: put it last.
            Format.printTable(rows.map { [$0[0], $0[1], $0[3], $0[4], $0[2]] })
        }
    }
}

/// `spasmwatch undo [ENTRY]`: retract the last entry, or the one given.
struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Retract the last diary entry, or the one whose id (or unique id prefix) is given.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "Entry id or a unique prefix of it (see spasmwatch recent).")
    var entry: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            if let reply = await connection.send(ManualRequest(op: .undo, target: entry, via: "cli")) {
                guard reply.ok, let saved = reply.saved else { throw DiaryFailure(reply.error ?? "undo failed") }
                print("\(saved.duplicate ? "already " : "")\(saved.summary) (correction \(saved.shortId))")
                return
            }
            // The service is down: find the entry in this machine's files and write the correction to the outbox.
            let local = try await LocalDiaryHistory(home: connection.home).recent(limit: 500)
            let target: RecentEntry
            if let entry {
                let id = try ShortId.resolve(entry, among: local.map(\.entry.entryId), what: "entry")
                target = local.first { $0.entry.entryId == id }!
            } else {
                guard let last = local.first(where: { !$0.retracted && $0.entry.kind != .correction }) else {
                    throw DiaryFailure("there is no entry to undo")
                }
                target = last
            }
            if target.retracted { throw DiaryFailure("entry \(target.shortId) (\(target.summary)) is already undone") }
            let correction = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .correction,
                                        correction: CorrectionRecord(targetEntryId: target.entry.entryId, action: .retract))
            connection.report(try await connection.save(correction), verb: "undone (\(target.summary)):")
        }
    }
}

/// `spasmwatch confirm EPISODE yes|no`: was this detected episode a spasm?
struct ConfirmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm",
        abstract: "Answer \"was this a spasm?\" for a detected episode; detection learns from it.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "Episode id or a unique prefix of it (see spasmwatch episodes).")
    var episode: String

    @Argument(help: "yes or no.")
    var answer: String

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            let wasSpasm: Bool
            switch answer.lowercased() {
            case "yes", "y", "true": wasSpasm = true
            case "no", "n", "false": wasSpasm = false
            default: throw DiaryFailure("answer '\(answer)' is not allowed; allowed: yes, no")
            }
            if let reply = await connection.send(ManualRequest(op: .confirm, episode: episode, wasSpasm: wasSpasm, via: "cli")) {
                guard reply.ok, let saved = reply.saved else { throw DiaryFailure(reply.error ?? "confirm failed") }
                print("\(saved.duplicate ? "already saved" : "saved") \(saved.shortId)  \(saved.summary)")
                return
            }
            guard let id = UUID(uuidString: episode) else {
                throw DiaryFailure("the manual service is not running, so an episode prefix cannot be looked up; give the whole episode id")
            }
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .confirmation,
                                   confirmation: EpisodeConfirmation(episodeId: id, wasSpasm: wasSpasm))
            connection.report(try await connection.save(entry))
        }
    }
}

/// `spasmwatch episodes`: recently detected episodes, for `confirm`.
struct EpisodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "episodes",
        abstract: "Recently detected episodes (as the manual service heard them), with your answers.")

    @OptionGroup var options: CommonOptions

    @Option(help: "How many.")
    var limit: Int = 20

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            guard let reply = await connection.send(ManualRequest(op: .episodes, limit: limit)) else {
                throw DiaryFailure("the manual service is not running (deploy/stack start spasmwatch-manual)")
            }
            let episodes = reply.episodes ?? []
            guard !episodes.isEmpty else {
                print("No episodes detected since spasmwatch-manual started.")
                return
            }
            var rows = [["ID", "WHEN", "ANSWER", "EPISODE"]]
            for e in episodes {
                let answer = e.wasSpasm.map { $0 ? "yes" : "no" } ?? "-"
                rows.append([e.shortId, connection.clock.describe(e.episode.start), answer, e.summary])
            }
            Format.printTable(rows)
        }
    }
}
