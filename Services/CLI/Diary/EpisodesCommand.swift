import ArgumentParser
import Foundation
import SpasmDiary
import SpasmErrors
import SpasmReliability
import SpasmRuntime
import SpasmSchema

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
        try await SpasmError.reportingDiary {
            guard let reply = await connection.send(ManualRequest(op: .episodes, limit: limit)) else {
                throw SpasmError(.diary, "the manual service is not running (deploy/stack start spasmwatch-manual)")
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
