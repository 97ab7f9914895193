import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema

/// Bare `spasmwatch log`: asks for an entry one question at a time. Each answer is checked
/// at once with the diary's rules; a wrong answer shows the rule's sentence and the
/// question again. Enter skips what is optional; end of input cancels.
struct Interview {
    let clock: HomeClock
    var input: () -> String? = { readLine(strippingNewline: true) }

    func run() throws -> DiaryEntry? {
        let now = Date().timeIntervalSince1970
        print("New diary entry (Enter skips optional questions; Ctrl-D cancels).")
        let kind: String
        do {
            kind = try ask("What happened? \(InterviewMenu.kind.shown)", menu: .kind) { (text) throws(SpasmError) in
                guard InterviewMenu.kind.choices.contains(where: { $0.value == text }) else {
                    throw SpasmError.diaryInvalid(field: "kind", "'\(text)' is not one of 1–5 (spasm, check-in, medication, exercise, relapse)")
                }
                return text
            }!
            switch kind {
            case "spasm": return try spasm(now: now)
            case "checkin": return try checkin(now: now)
            case "medication": return try medication(now: now)
            case "exercise": return try exercise(now: now)
            default: return try relapse(now: now)
            }
        } catch let error as SpasmError where error.code == .interviewCancelled {
            return nil
        }
    }

    func when() throws -> Double {
        try ask("When? (Enter for now; e.g. 03:10, yesterday 22:00, 20m ago)", optional: true) { (t) throws(SpasmError) in
            try clock.parse(t).timeIntervalSince1970
        } ?? Date().timeIntervalSince1970
    }

    func spasm(now: Double) throws -> DiaryEntry {
        let site = try ask("Where? (e.g. left-calf, right-foot, back; ? lists all)", optional: true, list: BodySite.allowedList) {
            (t) throws(SpasmError) in try DiaryRules.site(t)
        }
        let type = try ask("What kind? \(InterviewMenu.spasmType.shown)", menu: .spasmType) {
            (t) throws(SpasmError) in try DiaryRules.spasmType(t)
        }!
        let severity = try ask("How bad? \(InterviewMenu.severity.shown)", menu: .severity) { (t) throws(SpasmError) in
            try DiaryInput.severity(t)
        }!
        let pain = try ask("Pain 0–10?", optional: true) { (t) throws(SpasmError) in try DiaryInput.pain(t) }
        let duration = try ask("How long? (e.g. 45s, 2m)", optional: true) { (t) throws(SpasmError) in try Quantities.duration(t) }
        let at = try when()
        let triggers =
            try ask(
                "Triggers? (comma-separated: \(InterviewMenu.triggers.shown))", optional: true, menu: .triggers
            ) { (t) throws(SpasmError) in try DiaryInput.triggers([t]) } ?? []
        let effects =
            try ask("Did it cause anything? (comma-separated: \(InterviewMenu.effects.shown))", optional: true, menu: .effects) {
                (t) throws(SpasmError) in try DiaryInput.effects([t])
            } ?? []
        let note = try ask("Note?", optional: true) { (t) throws(SpasmError) in
            try DiaryRules.note(t, field: "spasm.note")
            return t
        }
        return DiaryEntry(
            recordedAt: now, via: "cli", kind: .spasm,
            spasm: SpasmRecord(
                at: at, durationSeconds: duration, site: site, type: type, severity: severity, pain: pain,
                triggers: triggers, effects: effects, note: note))
    }

    func checkin(now: Double) throws -> DiaryEntry {
        let nrs = try ask("Spasticity over the last 24 hours, \(InterviewMenu.nrs.shown)?", menu: .nrs) { (t) throws(SpasmError) in
            try DiaryInput.nrs(t)
        }!
        let psfs = try ask(
            "How often? \(InterviewMenu.psfs.shown)", optional: true, menu: .psfs
        ) { (t) throws(SpasmError) in try DiaryInput.psfs(t) }
        let sleep = try ask("Sleep last night, \(InterviewMenu.sleep.shown)?", optional: true, menu: .sleep) { (t) throws(SpasmError) in
            try DiaryInput.sleep(t)
        }
        return DiaryEntry(
            recordedAt: now, via: "cli", kind: .checkin,
            checkin: CheckIn(at: try when(), nrs: nrs, psfs: psfs, sleepQuality: sleep))
    }

    func medication(now: Double) throws -> DiaryEntry {
        let name = try ask("Which medication or supplement?") { (t) throws(SpasmError) in try DiaryRules.medicationName(t) }!
        let dose = try ask("Dose? (e.g. 10mg, 1 tablet)", optional: true) { (t) throws(SpasmError) in try Quantities.dose(t) }
        let action =
            try ask(
                "What did you do? \(InterviewMenu.medicationAction.shown) (Enter: taken)", optional: true, menu: .medicationAction
            ) {
                (t) throws(SpasmError) in try DiaryRules.medicationAction(t)
            } ?? .taken
        let regimen =
            try ask("How is it taken? \(InterviewMenu.regimen.shown) (Enter: regular)", optional: true, menu: .regimen) {
                (t) throws(SpasmError) in try DiaryRules.regimen(t)
            } ?? .regular
        let supplement =
            try ask("A supplement? (y/N)", optional: true) { (t) throws(SpasmError) in
                guard ["y", "yes", "n", "no"].contains(t.lowercased()) else {
                    throw SpasmError.diaryInvalid(field: "medication.supplement", "answer y or n")
                }
                return t.lowercased().hasPrefix("y")
            } ?? false
        let record = MedicationRecord(
            at: try when(), name: name, dose: dose?.dose, unit: dose?.unit, action: action,
            regimen: regimen, supplement: supplement)
        try DiaryRules.medicationDose(record)
        return DiaryEntry(recordedAt: now, via: "cli", kind: .medication, medication: record)
    }

    func exercise(now: Double) throws -> DiaryEntry {
        let activity = try ask("What kind of exercise? (e.g. stretching, walking, physio)") {
            (t) throws(SpasmError) in try DiaryRules.activity(t)
        }!
        let minutes = try ask("How long? (e.g. 20m, 1h)") { (t) throws(SpasmError) in try Quantities.minutes(t) }!
        return DiaryEntry(
            recordedAt: now, via: "cli", kind: .exercise,
            exercise: ExerciseRecord(at: try when(), activity: activity, minutes: minutes))
    }

    func relapse(now: Double) throws -> DiaryEntry {
        let phase = try ask("Relapse: \(InterviewMenu.relapsePhase.shown)?", menu: .relapsePhase) { (t) throws(SpasmError) in
            try DiaryRules.relapsePhase(t)
        }!
        let clinician =
            try ask("Marked by a clinician? (y/N)", optional: true) { (t) throws(SpasmError) in
                guard ["y", "yes", "n", "no"].contains(t.lowercased()) else {
                    throw SpasmError.diaryInvalid(field: "relapse.markedBy", "answer y or n")
                }
                return t.lowercased().hasPrefix("y")
            } ?? false
        return DiaryEntry(
            recordedAt: now, via: "cli", kind: .relapse,
            relapse: RelapseRecord(at: try when(), phase: phase, markedBy: clinician ? .clinician : .person))
    }

    /// Asks until the answer passes `parse`; nil for an empty answer to an optional question.
    /// With a `menu`, what it prints (a number, a word) is read as its value before `parse`.
    func ask<T>(
        _ question: String, optional: Bool = false, list: String? = nil, menu: InterviewMenu? = nil,
        _ parse: (String) throws(SpasmError) -> T
    ) throws -> T? {
        while true {
            print("\(question) ", terminator: "")
            fflush(nil)
            guard let line = input() else {
                print("")
                throw SpasmError(.interviewCancelled, "the interview was ended before its last answer")
            }
            let answer = line.trimmingCharacters(in: .whitespaces)
            if answer.isEmpty {
                if optional { return nil }
                print("  (an answer is needed here)")
                continue
            }
            if answer == "?", let list {
                print("  \(list)")
                continue
            }
            do {
                return try parse(menu?.read(answer) ?? answer)
            } catch {
                print("  \(error.message)")
            }
        }
    }
}
