import ArgumentParser
import Foundation
import SpasmDiary
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema

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
        try await SpasmError.reportingDiary {
            let wasSpasm: Bool
            switch answer.lowercased() {
            case "yes", "y", "true": wasSpasm = true
            case "no", "n", "false": wasSpasm = false
            default: throw SpasmError(.diary, "answer '\(answer)' is not allowed; allowed: yes, no")
            }
            if let reply = await connection.send(ManualRequest(op: .confirm, episode: episode, wasSpasm: wasSpasm, via: "cli")) {
                guard reply.ok, let saved = reply.saved else { throw SpasmError(.diary, reply.error ?? "confirm failed") }
                print("\(saved.duplicate ? "already saved" : "saved") \(saved.shortId)  \(saved.summary)")
                return
            }
            guard let id = UUID(uuidString: episode) else {
                throw SpasmError(.diary, "the manual service is not running, so an episode prefix cannot be looked up; give the whole episode id")
            }
            let entry = DiaryEntry(
                recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .confirmation,
                confirmation: EpisodeConfirmation(episodeId: id, wasSpasm: wasSpasm))
            connection.report(try await connection.save(entry), entry: entry)
        }
    }
}
