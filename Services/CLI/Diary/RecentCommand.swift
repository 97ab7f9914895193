import ArgumentParser
import Foundation
import SpasmDiary
import SpasmErrors
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
        try await SpasmError.reportingDiary {
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
