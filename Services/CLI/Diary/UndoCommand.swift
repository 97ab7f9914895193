import ArgumentParser
import Foundation
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema

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
        try await SpasmError.reportingDiary {
            if let reply = await connection.send(ManualRequest(op: .undo, target: entry, via: "cli")) {
                guard reply.ok, let saved = reply.saved else { throw SpasmError(.diary, reply.error ?? "undo failed") }
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
                    throw SpasmError(.diary, "there is no entry to undo")
                }
                target = last
            }
            if target.retracted { throw SpasmError(.diary, "entry \(target.shortId) (\(target.summary)) is already undone") }
            let correction = DiaryEntry(
                recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .correction,
                correction: CorrectionRecord(targetEntryId: target.entry.entryId, action: .retract))
            connection.report(try await connection.save(correction), verb: "undone (\(target.summary)):")
        }
    }
}
