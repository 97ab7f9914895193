import ArgumentParser
import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmRuntime
import SpasmSchema

/// `spasmwatch log med NAME [DOSE]`.
struct LogMedicationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "med",
        abstract: "A medication or supplement taken (the default), or a change of treatment.",
        aliases: ["medication"])

    @OptionGroup var options: CommonOptions

    @Argument(help: "Name, e.g. baclofen, \"vitamin D\".")
    var name: String

    @Argument(help: "Dose with unit, e.g. 10mg, 500mcg, \"1 tablet\".")
    var dose: [String] = []

    @Flag(help: "A new regular dose.")
    var change = false

    @Flag(help: "Starting this medication.")
    var start = false

    @Flag(help: "Stopping this medication.")
    var stop = false

    @Option(help: "regular, short-course or as-needed (default regular).")
    var regimen: String?

    @Flag(help: "A supplement (vitamin D, magnesium, …).")
    var supplement = false

    @Option(help: "When (default now).")
    var at: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await SpasmError.reportingDiary {
            let flags = [(change, MedicationRecord.Action.changed), (start, .started), (stop, .stopped)].filter(\.0)
            guard flags.count <= 1 else { throw SpasmError(.diary, "action: give one of --change, --start, --stop (or none for taken)") }
            let amount = dose.isEmpty ? nil : try Quantities.dose(dose.joined(separator: " "))
            let record = MedicationRecord(
                at: try DiaryInput.time(at, clock: connection.clock), name: try DiaryRules.medicationName(name),
                dose: amount?.dose, unit: amount?.unit, action: flags.first?.1 ?? .taken,
                regimen: try regimen.map { (t) throws(SpasmError) in try DiaryRules.regimen(t) } ?? .regular,
                supplement: supplement)
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .medication, medication: record)
            connection.report(try await connection.save(entry), entry: entry)
        }
    }
}
