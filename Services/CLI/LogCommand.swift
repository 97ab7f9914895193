import ArgumentParser
import Foundation
import SpasmConfig
import SpasmDiary
import SpasmRuntime
import SpasmSchema

/// `spasmwatch log …`: write a diary entry. Bare `spasmwatch log` in a terminal asks its
/// questions one by one.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Write a diary entry (a spasm, a check-in, medication, exercise, a relapse). Without a subcommand, asks step by step.",
        discussion: """
            Examples:
              spasmwatch log spasm --site left-calf --type tonic --severity 2 --pain 6 --duration 45s
              spasmwatch log spasm --site right-foot --type phasic --severity 3 --at "yesterday 22:00" --caused fall
              spasmwatch log checkin --nrs 5 --psfs 2 --sleep 6
              spasmwatch log med baclofen 10mg
              spasmwatch log med baclofen 15mg --change
              spasmwatch log exercise stretching 20m
              spasmwatch log relapse start
            Times are the home's local time (config `timeZone`, else the system's).
            """,
        subcommands: [LogSpasmCommand.self, LogCheckinCommand.self, LogMedicationCommand.self,
                      LogExerciseCommand.self, LogRelapseCommand.self])

    @OptionGroup var options: CommonOptions

    @Flag(help: .hidden)
    var interactive = false

    func run() async throws {
        guard interactive || isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("no entry kind given: use spasmwatch log spasm|checkin|med|exercise|relapse … (or run it in a terminal to be asked)")
        }
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            guard let entry = try Interview(clock: connection.clock).run() else {
                print("nothing saved")
                return
            }
            connection.report(try await connection.save(entry))
        }
    }
}

/// `spasmwatch log spasm`.
struct LogSpasmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasm",
        abstract: "A spasm or cramp: where, what kind, how bad.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Body site, e.g. left-calf, right-foot, back, both-legs.")
    var site: String?

    @Option(help: "tonic, phasic, clonus, cramp or unsure.")
    var type: String?

    @Option(help: "1 mild, 2 moderate, 3 severe (PSFS); the words work too.")
    var severity: String?

    @Option(help: "Pain 0–10.")
    var pain: String?

    @Option(help: "How long, e.g. 45s, 2m, 1m30s.")
    var duration: String?

    @Option(help: "When, local time: 03:10, \"yesterday 22:00\", \"2026-11-24 22:00\", \"20m ago\" (default now).")
    var at: String?

    @Option(help: "What brought it on (repeatable or comma-separated): heat, cold, stress, tiredness, infection, bladder, posture, stretch, inactivity.")
    var trigger: [String] = []

    @Option(help: "Another trigger, in your own words.")
    var triggerNote: String?

    @Option(name: [.customLong("caused"), .customLong("effect")],
            help: "What it caused (repeatable): fall, dropped-something, woke-me, none.")
    var caused: [String] = []

    @Option(help: "A note.")
    var note: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            guard let type else { throw DiaryFailure("type is required; allowed: tonic, phasic, clonus, cramp, unsure") }
            guard let severity else { throw DiaryFailure("severity is required (1 mild, 2 moderate, 3 severe)") }
            let record = SpasmRecord(
                at: try DiaryInput.time(at, clock: connection.clock),
                durationSeconds: try duration.map { (t) throws(DiaryValidationError) in try Quantities.duration(t) },
                site: try site.map { (t) throws(DiaryValidationError) in try DiaryRules.site(t) },
                type: try DiaryRules.spasmType(type),
                severity: try DiaryInput.severity(severity),
                pain: try pain.map { (t) throws(DiaryValidationError) in try DiaryInput.pain(t) },
                triggers: try DiaryInput.triggers(trigger),
                triggerNote: triggerNote,
                effects: try DiaryInput.effects(caused),
                note: note)
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .spasm, spasm: record)
            connection.report(try await connection.save(entry))
        }
    }
}

/// `spasmwatch log checkin`.
struct LogCheckinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkin",
        abstract: "The daily check-in: spasticity 0–10 over the last 24 hours, PSFS frequency, sleep.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Spasticity NRS 0–10 over the last 24 hours.")
    var nrs: String?

    @Option(help: "PSFS frequency: 0 none, 1 only when stimulated, 2 < 1 an hour, 3 ≥ 1 an hour, 4 > 10 an hour.")
    var psfs: String?

    @Option(help: "Sleep quality 0–10.")
    var sleep: String?

    @Option(help: "When (default now).")
    var at: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            guard let nrs else { throw DiaryFailure("nrs is required (0–10, spasticity over the last 24 hours)") }
            let record = CheckIn(at: try DiaryInput.time(at, clock: connection.clock), nrs: try DiaryInput.nrs(nrs),
                                 psfs: try psfs.map { (t) throws(DiaryValidationError) in try DiaryInput.psfs(t) },
                                 sleepQuality: try sleep.map { (t) throws(DiaryValidationError) in try DiaryInput.sleep(t) })
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .checkin, checkin: record)
            connection.report(try await connection.save(entry))
        }
    }
}

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
        try await DiaryFailure.reporting {
            let flags = [(change, MedicationRecord.Action.changed), (start, .started), (stop, .stopped)].filter(\.0)
            guard flags.count <= 1 else { throw DiaryFailure("action: give one of --change, --start, --stop (or none for taken)") }
            let amount = dose.isEmpty ? nil : try Quantities.dose(dose.joined(separator: " "))
            let record = MedicationRecord(
                at: try DiaryInput.time(at, clock: connection.clock), name: try DiaryRules.medicationName(name),
                dose: amount?.dose, unit: amount?.unit, action: flags.first?.1 ?? .taken,
                regimen: try regimen.map { (t) throws(DiaryValidationError) in try DiaryRules.regimen(t) } ?? .regular,
                supplement: supplement)
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .medication, medication: record)
            connection.report(try await connection.save(entry))
        }
    }
}

/// `spasmwatch log exercise KIND LENGTH`.
struct LogExerciseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exercise",
        abstract: "An exercise session: what, how long.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "What, e.g. stretching, walking, physio.")
    var activity: String

    @Argument(help: "How long, e.g. 20m, 1h (a bare number is minutes).")
    var length: String

    @Option(help: "When (default now).")
    var at: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            let record = ExerciseRecord(at: try DiaryInput.time(at, clock: connection.clock),
                                        activity: try DiaryRules.activity(activity), minutes: try Quantities.minutes(length))
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .exercise, exercise: record)
            connection.report(try await connection.save(entry))
        }
    }
}

/// `spasmwatch log relapse start|end`.
struct LogRelapseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relapse",
        abstract: "The start or end of a relapse or flare-up.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "start or end.")
    var phase: String

    @Flag(help: "Marked by a clinician (not only by you).")
    var clinician = false

    @Option(help: "A note.")
    var note: String?

    @Option(help: "When (default now).")
    var at: String?

    func run() async throws {
        let connection = try DiaryConnection(options: options)
        try await DiaryFailure.reporting {
            let record = RelapseRecord(at: try DiaryInput.time(at, clock: connection.clock), phase: try DiaryRules.relapsePhase(phase),
                                       markedBy: clinician ? .clinician : .person, note: note)
            let entry = DiaryEntry(recordedAt: Date().timeIntervalSince1970, via: "cli", kind: .relapse, relapse: record)
            connection.report(try await connection.save(entry))
        }
    }
}
