import Foundation
import SpasmSchema
import SpasmStore

/// `spasmwatch export --format fhir`: a FHIR R4 `Bundle` (type `collection`) for a clinic's
/// records. Each diary spasm and each detected episode is an `Observation` (category survey or
/// activity, code SpasmWatch's own plus SNOMED CT 45352006 "Spasm", or 1912002 "Fall" for a fall),
/// each check-in gives an NRS, a PSFS and a sleep `Observation`, each exercise session and each
/// relapse start or end an `Observation`, and each medication entry a `MedicationStatement`. Resource ids are the stored ids, so the same records give the same file.
/// The codes and systems are listed in docs/storage.md ("Export").
enum FHIRExport {
    /// SpasmWatch's own codes: what each Observation and component is.
    static let codeSystem = "urn:spasmwatch:code"
    static let bodySiteSystem = "urn:spasmwatch:body-site"
    static let spasmTypeSystem = "urn:spasmwatch:spasm-type"
    static let personSystem = "urn:spasmwatch:person"
    static let entrySystem = "urn:spasmwatch:diary-entry"
    static let episodeSystem = "urn:spasmwatch:episode"
    static let relapsePhaseSystem = "urn:spasmwatch:relapse-phase"
    static let snomed = "http://snomed.info/sct"
    static let loinc = "http://loinc.org"
    static let categorySystem = "http://terminology.hl7.org/CodeSystem/observation-category"
    static let medicationCategorySystem = "http://terminology.hl7.org/CodeSystem/medication-statement-category"

    /// Builds the bundle; `timeZone` gives every time its offset (the home's zone).
    static func bundle(entries: [StoredEntry], episodes: [StoredEpisode], timeZone: TimeZone) -> FHIR.Bundle {
        let time = Times(timeZone: timeZone)
        var resources: [(Double, FHIR.Resource)] = []
        for stored in entries {
            let entry = stored.entry
            if let spasm = entry.spasm {
                resources.append((spasm.at, .observation(diarySpasm(stored, spasm, time))))
            }
            if let checkin = entry.checkin {
                resources.append((checkin.at, .observation(nrs(stored, checkin, time))))
                if let psfs = checkin.psfs {
                    resources.append(
                        (
                            checkin.at,
                            .observation(
                                checkinScore(
                                    stored, checkin, suffix: "psfs", code: "psfs-frequency", display: "Penn Spasm Frequency Scale (0–4)", value: psfs,
                                    time))
                        ))
                }
                if let sleep = checkin.sleepQuality {
                    resources.append(
                        (
                            checkin.at,
                            .observation(
                                checkinScore(
                                    stored, checkin, suffix: "sleep", code: "sleep-quality",
                                    display: "Sleep quality last night (0 very poor – 10 very good)", value: sleep, time))
                        ))
                }
            }
            if let exercise = entry.exercise {
                resources.append((exercise.at, .observation(exerciseObservation(stored, exercise, time))))
            }
            if let relapse = entry.relapse {
                resources.append((relapse.at, .observation(relapseObservation(stored, relapse, time))))
            }
            if let medication = entry.medication {
                resources.append((medication.at, .medicationStatement(statement(stored, medication, all: entries, time))))
            }
        }
        for episode in episodes {
            resources.append((episode.start, .observation(detected(episode, time))))
        }
        resources.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1.id < $1.1.id }
        return FHIR.Bundle(entry: resources.map { FHIR.BundleEntry(resource: $0.1) })
    }

    /// ISO 8601 with the home's offset ("2026-12-01T21:03:00+01:00"), whole seconds.
    struct Times {
        let formatter: ISO8601DateFormatter

        init(timeZone: TimeZone) {
            formatter = ISO8601DateFormatter()
            formatter.timeZone = timeZone
            formatter.formatOptions = [.withInternetDateTime]
        }

        func callAsFunction(_ time: Double) -> String { formatter.string(from: Date(timeIntervalSince1970: time.rounded(.down))) }
    }

    static func subject(_ person: String) -> FHIR.Reference {
        FHIR.Reference(type: "Patient", identifier: FHIR.Identifier(system: personSystem, value: person), display: person)
    }

    static func own(_ code: String, _ display: String) -> FHIR.CodeableConcept {
        FHIR.CodeableConcept(coding: [FHIR.Coding(system: codeSystem, code: code, display: display)], text: display)
    }

    static func category(_ code: String, _ display: String) -> [FHIR.CodeableConcept] {
        [FHIR.CodeableConcept(coding: [FHIR.Coding(system: categorySystem, code: code, display: display)])]
    }

    static func site(_ site: BodySite) -> FHIR.CodeableConcept {
        FHIR.CodeableConcept(
            coding: [FHIR.Coding(system: bodySiteSystem, code: site.rawValue, display: site.displayName)],
            text: site.displayName)
    }

    static func spasmCode(fall: Bool = false) -> FHIR.CodeableConcept {
        fall
            ? FHIR.CodeableConcept(
                coding: [
                    FHIR.Coding(system: codeSystem, code: "fall", display: "Fall"),
                    FHIR.Coding(system: snomed, code: "1912002", display: "Fall"),
                ], text: "Fall")
            : FHIR.CodeableConcept(
                coding: [
                    FHIR.Coding(system: codeSystem, code: "spasm", display: "Spasm"),
                    FHIR.Coding(system: snomed, code: "45352006", display: "Spasm"),
                ], text: "Spasm")
    }

    static func kindComponent(_ kind: String) -> FHIR.ObservationComponent {
        FHIR.ObservationComponent(
            code: own("spasm-type", "Kind of spasm"),
            valueCodeableConcept: FHIR.CodeableConcept(
                coding: [FHIR.Coding(system: spasmTypeSystem, code: kind, display: kind)], text: kind))
    }

    static func siteComponent(_ site: BodySite) -> FHIR.ObservationComponent {
        FHIR.ObservationComponent(code: own("body-site", "Body site"), valueCodeableConcept: self.site(site))
    }

    static func diarySpasm(_ stored: StoredEntry, _ spasm: SpasmRecord, _ time: Times) -> FHIR.Observation {
        var components = [kindComponent(spasm.type.rawValue)]
        if let site = spasm.site { components.append(siteComponent(site)) }
        components.append(
            FHIR.ObservationComponent(
                code: own("severity", "Severity (PSFS: 1 mild, 2 moderate, 3 severe)"),
                valueInteger: spasm.severity))
        if let pain = spasm.pain {
            components.append(
                FHIR.ObservationComponent(
                    code: FHIR.CodeableConcept(
                        coding: [
                            FHIR.Coding(
                                system: loinc, code: "72514-3",
                                display: "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
                        ],
                        text: "Pain 0–10"),
                    valueInteger: pain))
        }
        if let duration = spasm.durationSeconds {
            components.append(FHIR.ObservationComponent(code: own("duration", "Duration"), valueQuantity: .ucum(duration, "s")))
        }
        for trigger in spasm.triggers {
            components.append(FHIR.ObservationComponent(code: own("trigger", "Trigger"), valueString: trigger.rawValue))
        }
        if let note = spasm.triggerNote {
            components.append(FHIR.ObservationComponent(code: own("trigger", "Trigger"), valueString: note))
        }
        for effect in spasm.effects where effect != .none {
            components.append(FHIR.ObservationComponent(code: own("effect", "What it caused"), valueString: effect.rawValue))
        }
        return FHIR.Observation(
            id: stored.entry.entryId.uuidString.lowercased(),
            identifier: [FHIR.Identifier(system: entrySystem, value: stored.entry.entryId.uuidString.lowercased())],
            status: "final", category: category("survey", "Survey"), code: spasmCode(), subject: subject(stored.person),
            effectiveDateTime: spasm.durationSeconds == nil ? time(spasm.at) : nil,
            effectivePeriod: spasm.durationSeconds.map { FHIR.Period(start: time(spasm.at), end: time(spasm.at + $0)) },
            issued: time(stored.entry.recordedAt), bodySite: spasm.site.map(site),
            method: FHIR.CodeableConcept(text: "diary entry by the person (\(stored.entry.via))"),
            component: components, note: spasm.note.map { [FHIR.Annotation(text: $0)] })
    }

    static func detected(_ episode: StoredEpisode, _ time: Times) -> FHIR.Observation {
        var components = [kindComponent(episode.kind.rawValue)]
        if let site = episode.site { components.append(siteComponent(site)) }
        if let end = episode.end {
            components.append(FHIR.ObservationComponent(code: own("duration", "Duration"), valueQuantity: .ucum(end - episode.start, "s")))
        }
        components.append(
            FHIR.ObservationComponent(
                code: own("confidence", "Detection confidence (0–1)"),
                valueQuantity: .ucum(episode.confidence, "1")))
        if let hz = episode.dominantFrequencyHz {
            components.append(FHIR.ObservationComponent(code: own("dominant-frequency", "Dominant frequency"), valueQuantity: .ucum(hz, "Hz")))
        }
        if let confirmed = episode.confirmed {
            components.append(
                FHIR.ObservationComponent(
                    code: own("confirmed-by-person", "The person says it was a spasm"),
                    valueBoolean: confirmed))
        }
        let id = episode.episodeId.uuidString.lowercased()
        return FHIR.Observation(
            id: id, identifier: [FHIR.Identifier(system: episodeSystem, value: id)],
            status: episode.end == nil ? "preliminary" : "final", category: category("activity", "Activity"),
            code: spasmCode(fall: episode.kind == .fall), subject: subject(episode.person),
            effectivePeriod: FHIR.Period(start: time(episode.start), end: episode.end.map { time($0) }),
            issued: time(episode.detectedAt), bodySite: episode.site.map(site),
            method: FHIR.CodeableConcept(text: "detected by SpasmWatch from a wearable sensor"),
            device: FHIR.Reference(display: "sensor \(episode.sensorId)"), component: components,
            note: episode.interrupted == true
                ? [FHIR.Annotation(text: "detection stopped while the episode was open; the end is when it last saw the sensor")] : nil)
    }

    static func nrs(_ stored: StoredEntry, _ checkin: CheckIn, _ time: Times) -> FHIR.Observation {
        let id = stored.entry.entryId.uuidString.lowercased()
        return FHIR.Observation(
            id: "\(id)-nrs", identifier: [FHIR.Identifier(system: entrySystem, value: "\(id)-nrs")], status: "final",
            category: category("survey", "Survey"), code: own("spasticity-nrs", "Spasticity NRS (0–10, last 24 hours)"),
            subject: subject(stored.person), effectiveDateTime: time(checkin.at), issued: time(stored.entry.recordedAt),
            valueInteger: checkin.nrs)
    }

    /// A check-in's 0–4 or 0–10 score other than the NRS (PSFS, sleep), as its own Observation
    /// `<entry id>-<suffix>` coded in SpasmWatch's own system.
    static func checkinScore(
        _ stored: StoredEntry, _ checkin: CheckIn, suffix: String, code: String, display: String, value: Int, _ time: Times
    ) -> FHIR.Observation {
        let id = "\(stored.entry.entryId.uuidString.lowercased())-\(suffix)"
        return FHIR.Observation(
            id: id, identifier: [FHIR.Identifier(system: entrySystem, value: id)], status: "final",
            category: category("survey", "Survey"), code: own(code, display),
            subject: subject(stored.person), effectiveDateTime: time(checkin.at), issued: time(stored.entry.recordedAt),
            valueInteger: value)
    }

    /// A session: LOINC 55411-3 "Exercise duration" in minutes, the activity as its component
    /// LOINC 73985-4 "Exercise activity" (as the Physical Activity IG records them).
    static func exerciseObservation(_ stored: StoredEntry, _ exercise: ExerciseRecord, _ time: Times) -> FHIR.Observation {
        let id = stored.entry.entryId.uuidString.lowercased()
        return FHIR.Observation(
            id: id, identifier: [FHIR.Identifier(system: entrySystem, value: id)], status: "final",
            category: category("activity", "Activity"),
            code: FHIR.CodeableConcept(
                coding: [
                    FHIR.Coding(system: loinc, code: "55411-3", display: "Exercise duration"),
                    FHIR.Coding(system: codeSystem, code: "exercise", display: "Exercise session"),
                ], text: "Exercise session"),
            subject: subject(stored.person), effectiveDateTime: time(exercise.at), issued: time(stored.entry.recordedAt),
            valueQuantity: .ucum(exercise.minutes, "min"),
            method: FHIR.CodeableConcept(text: "diary entry by the person (\(stored.entry.via))"),
            component: [
                FHIR.ObservationComponent(
                    code: FHIR.CodeableConcept(
                        coding: [FHIR.Coding(system: loinc, code: "73985-4", display: "Exercise activity")], text: "Exercise activity"),
                    valueCodeableConcept: FHIR.CodeableConcept(text: exercise.activity))
            ])
    }

    /// The start or the end of a relapse or flare-up, one Observation each (value: the phase),
    /// who marked it in `method`.
    static func relapseObservation(_ stored: StoredEntry, _ relapse: RelapseRecord, _ time: Times) -> FHIR.Observation {
        let id = stored.entry.entryId.uuidString.lowercased()
        let phase = relapse.phase == .start ? "Relapse or flare-up began" : "Relapse or flare-up ended"
        return FHIR.Observation(
            id: id, identifier: [FHIR.Identifier(system: entrySystem, value: id)], status: "final",
            category: category("survey", "Survey"), code: own("relapse", "Relapse or flare-up"), subject: subject(stored.person),
            effectiveDateTime: time(relapse.at), issued: time(stored.entry.recordedAt),
            valueCodeableConcept: FHIR.CodeableConcept(
                coding: [FHIR.Coding(system: relapsePhaseSystem, code: relapse.phase.rawValue, display: phase)], text: phase),
            method: FHIR.CodeableConcept(text: "marked by the \(relapse.markedBy.rawValue) (\(stored.entry.via))"),
            note: relapse.note.map { [FHIR.Annotation(text: $0)] })
    }

    /// "20 mg" (or "" without a dose).
    static func dose(_ m: MedicationRecord) -> String {
        m.dose.map { Describe.number($0) + (m.unit.map { " \($0)" } ?? "") } ?? ""
    }

    /// The diary's dose units (`DiaryValidation.doseUnits`) that are UCUM units, with their UCUM
    /// code; the others ("tablet", "puff") keep only their text.
    static let ucumUnits = ["mg": "mg", "mcg": "ug", "g": "g", "ml": "mL", "IU": "[iU]"]

    /// A `taken` is one dose (completed at its time). A `started` or `changed` is active from its
    /// time until the next start, change or stop of the same medication, which ends it (completed).
    /// A `stopped` has status stopped, from the start before it to its time.
    static func statement(_ stored: StoredEntry, _ m: MedicationRecord, all: [StoredEntry], _ time: Times) -> FHIR.MedicationStatement {
        let same = all.compactMap { e -> MedicationRecord? in
            guard e.person == stored.person, let other = e.entry.medication, other.action != .taken,
                other.name.lowercased() == m.name.lowercased()
            else { return nil }
            return other
        }
        let status: String
        var dateTime: String?
        var period: FHIR.Period?
        switch m.action {
        case .taken:
            status = "completed"
            dateTime = time(m.at)
        case .started, .changed:
            let next = same.filter { $0.at > m.at }.map(\.at).min()
            status = next == nil ? "active" : "completed"
            period = FHIR.Period(start: time(m.at), end: next.map { time($0) })
        case .stopped:
            status = "stopped"
            let start = same.filter { $0.at < m.at && $0.action != .stopped }.map(\.at).max()
            period = FHIR.Period(start: start.map { time($0) }, end: time(m.at))
        }
        let doseText = dose(m)
        var parts = [doseText.isEmpty ? nil : doseText, m.regimen.rawValue, m.action.rawValue].compactMap { $0 }
        if m.supplement { parts.append("supplement") }
        let quantity = m.dose.map { value -> FHIR.Quantity in
            guard let unit = m.unit else { return .ucum(value, "1") }
            return ucumUnits[unit].map { FHIR.Quantity(value: value, unit: unit, system: "http://unitsofmeasure.org", code: $0) }
                ?? FHIR.Quantity(value: value, unit: unit)
        }
        let id = stored.entry.entryId.uuidString.lowercased()
        return FHIR.MedicationStatement(
            id: id, identifier: [FHIR.Identifier(system: entrySystem, value: id)], status: status,
            category: FHIR.CodeableConcept(coding: [
                FHIR.Coding(
                    system: medicationCategorySystem, code: "patientspecified",
                    display: "Patient Specified")
            ]),
            medicationCodeableConcept: FHIR.CodeableConcept(text: m.name), subject: subject(stored.person),
            effectiveDateTime: dateTime, effectivePeriod: period, dateAsserted: time(stored.entry.recordedAt),
            dosage: [
                FHIR.Dosage(
                    text: parts.joined(separator: ", "), asNeededBoolean: m.regimen == .asNeeded ? true : nil,
                    doseAndRate: quantity.map { [FHIR.DoseAndRate(doseQuantity: $0)] })
            ],
            note: m.supplement ? [FHIR.Annotation(text: "supplement")] : nil)
    }
}
