import Foundation
import SpasmSchema
import SpasmTestSupport
import Testing

/// `spasmwatch export` against the real bus and store (issue 18, point 12): the CSV's duration
/// and dose columns, and the FHIR R4 Bundle a clinic's records take, parsed by `fhir.resources`.
@Suite("Export processes", .serialized)
struct ExportProcessTests {
    /// What the tests seed, and the ids they look for.
    struct Seeded {
        let spasm: DiaryEntry
        let checkin: DiaryEntry
        let medication: DiaryEntry
        let episodeId: UUID
        let at: Double
        /// With `more`: an exercise session and a relapse's start and end.
        var others: [DiaryEntry] = []
    }

    /// A diary spasm with a duration, an NRS + PSFS check-in, a medication with a dose, and a
    /// detected clonus episode (onset and end), each receipted by the real store. With `more`,
    /// the check-in has a sleep score, and an exercise session and a relapse (start, end) follow.
    func seed(_ home: URL, more: Bool = false) async throws -> Seeded {
        let at = (Date().timeIntervalSince1970 - 3600).rounded(.down)
        let spasm = DiaryEntry(
            recordedAt: at + 60, via: "test", kind: .spasm,
            spasm: SpasmRecord(at: at, durationSeconds: 95, site: .leftCalf, type: .tonic, severity: 2, pain: 6))
        let checkin = DiaryEntry(
            recordedAt: at + 120, via: "test", kind: .checkin, checkin: CheckIn(at: at + 120, nrs: 7, psfs: 3, sleepQuality: more ? 4 : nil))
        let medication = DiaryEntry(
            recordedAt: at + 180, via: "test", kind: .medication,
            medication: MedicationRecord(
                at: at + 180, name: "baclofen", dose: 20, unit: "mg", action: .started,
                regimen: .regular))
        let episodeId = UUID()
        let onset = EpisodeEvent(
            episodeId: episodeId, phase: .onset, kind: .clonus, sensorId: "ankle-r", site: .rightAnkle,
            start: at + 240, detectedAt: at + 243, confidence: 0.9)
        var end = onset
        end.phase = .end
        end.end = at + 252
        end.dominantFrequencyHz = 5.5
        let others =
            more
            ? [
                DiaryEntry(
                    recordedAt: at + 300, via: "test", kind: .exercise, exercise: ExerciseRecord(at: at + 300, activity: "walking", minutes: 45)),
                DiaryEntry(
                    recordedAt: at + 360, via: "test", kind: .relapse,
                    relapse: RelapseRecord(at: at + 360, phase: .start, markedBy: .clinician, note: "steroids")),
                DiaryEntry(recordedAt: at + 420, via: "test", kind: .relapse, relapse: RelapseRecord(at: at + 420, phase: .end)),
            ] : []
        let diary = try StoreProcessTests.Sender(home: home, source: "manual-export")
        let detect = try StoreProcessTests.Sender(home: home, source: "detect-export")
        let senders = [diary, detect]
        let running = senders.map { s in Task { try await s.sender.run() } }
        try await Task.sleep(for: .milliseconds(500))
        for entry in [spasm, checkin, medication] + others { try await diary.sender.send(entry, topic: Topic.manualEntry) }
        try await detect.sender.send(onset, topic: Topic.episode("clonus"))
        try await detect.sender.send(end, topic: Topic.episode("clonus"))
        let deadline = Date().addingTimeInterval(30)
        var pending = 1
        while Date() < deadline {
            pending = 0
            for s in senders { pending += try await s.sender.outbox.pendingCount() }
            if pending == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(pending == 0, "every record receipted by the store")
        for task in running {
            task.cancel()
            _ = try? await task.value
        }
        for s in senders { await s.close() }
        return Seeded(spasm: spasm, checkin: checkin, medication: medication, episodeId: episodeId, at: at, others: others)
    }

    func startStack(_ home: URL) async throws -> (ChildProcess, ChildProcess) {
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        return (bus, store)
    }

    /// Splits one CSV line on commas (the test's rows have no quoted fields with commas).
    func cells(_ line: Substring) -> [String] { line.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }

    @Test func csvHasDurationForDiarySpasmsAndADoseColumn() async throws {
        let home = try TestSupport.temporaryHome("export-csv")
        defer { try? FileManager.default.removeItem(at: home) }
        let (bus, store) = try await startStack(home)
        let seeded = try await seed(home)

        let file = home.appendingPathComponent("export.csv")
        let export = try ChildProcess("spasmwatch", ["export", "--format", "csv", "--out", file.path], home: home)
        #expect(await export.wait(timeout: 20) == 0, "export: \(export.stderr)")
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 5, "a header and one row per record: \(text)")
        let header = lines.first.map(cells) ?? []
        #expect(
            header == [
                "record", "id", "time_utc", "local_time", "person", "kind", "detail", "site", "severity", "pain", "nrs",
                "psfs", "duration_s", "dose", "description",
            ])
        func row(_ id: UUID) -> [String: String] {
            guard let line = lines.first(where: { $0.contains(id.uuidString) }) else { return [:] }
            return Dictionary(zip(header, cells(line)), uniquingKeysWith: { a, _ in a })
        }
        let spasm = row(seeded.spasm.entryId)
        #expect(spasm["duration_s"] == "95", "a diary spasm's duration: \(spasm)")
        #expect(spasm["site"] == "left-calf")
        #expect(spasm["dose"] == "")
        let medication = row(seeded.medication.entryId)
        #expect(medication["dose"] == "20 mg", "the medication's dose: \(medication)")
        #expect(medication["detail"] == "baclofen")
        let episode = row(seeded.episodeId)
        #expect(episode["duration_s"] == "12")
        #expect(row(seeded.checkin.entryId)["nrs"] == "7")

        await store.stop()
        await bus.stop()
    }

    /// Parses the bundle with `fhir.resources` (R4B models in releases 7 and 8, R4 in 6.x) and
    /// prints, per resource, "type id status code value" for the test to check.
    static let parseScript = #"""
        import json, sys
        raw = open(sys.argv[1]).read()
        try:
            from fhir.resources.R4B.bundle import Bundle
            bundle = Bundle.model_validate_json(raw)
            print("models R4B")
            dump = lambda r: json.loads(r.model_dump_json(exclude_none=True))
        except ImportError:
            from fhir.resources.bundle import Bundle
            bundle = Bundle.parse_raw(raw)
            print("models R4")
            dump = lambda r: json.loads(r.json())
        assert bundle.type == "collection", bundle.type
        for e in bundle.entry:
            r = dump(e.resource)  # what the models read back, times as ISO 8601 text
            p = r.get("effectivePeriod")
            when = r.get("effectiveDateTime") or (p.get("start", "") + "/" + p.get("end", ""))
            who = r["subject"]["identifier"]["value"]
            if r["resourceType"] == "Observation":
                codes = ",".join(c["system"] + "|" + c["code"] for c in r["code"]["coding"])
                comps = ";".join(c["code"]["coding"][0]["code"] for c in r.get("component", []))
                q, c = r.get("valueQuantity"), r.get("valueCodeableConcept")
                value = r.get("valueInteger", q and f'{q["value"]:g}|{q["code"]}' or c and c["coding"][0]["code"] or "-")
                print(r["resourceType"], r["id"], r["status"], codes, value, when, who, comps)
            else:
                print(r["resourceType"], r["id"], r["status"], r["medicationCodeableConcept"]["text"], r["dosage"][0]["text"], when, who)
        """#

    static let fhirResources: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import fhir.resources"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    @Test(.enabled(if: fhirResources, "python3 with fhir.resources is not installed (deploy/stack test installs it)"))
    func fhirBundleParsesWithFhirResources() async throws {
        let home = try TestSupport.temporaryHome("export-fhir")
        defer { try? FileManager.default.removeItem(at: home) }
        let (bus, store) = try await startStack(home)
        let seeded = try await seed(home, more: true)

        let file = home.appendingPathComponent("records.fhir.json")
        let zone = ["--set", "timeZone=Europe/Berlin"]
        let export = try ChildProcess("spasmwatch", ["export", "--format", "fhir", "--out", file.path] + zone, home: home)
        #expect(await export.wait(timeout: 20) == 0, "export: \(export.stderr)")
        let second = home.appendingPathComponent("again.fhir.json")
        let again = try ChildProcess("spasmwatch", ["export", "--format", "fhir", "--out", second.path] + zone, home: home)
        #expect(await again.wait(timeout: 20) == 0)
        #expect(try Data(contentsOf: file) == Data(contentsOf: second), "the same records give the same bundle")

        let script = home.appendingPathComponent("parse.py")
        try Data(Self.parseScript.utf8).write(to: script)
        let python = try ChildProcess("/usr/bin/env", ["python3", "-W", "ignore", script.path, file.path], home: home)
        #expect(await python.wait(timeout: 60) == 0, "fhir.resources refused the bundle: \(python.stderr)")
        let lines = python.stdout.split(separator: "\n").map(String.init)
        func line(_ id: String) -> String { lines.first { $0.split(separator: " ").dropFirst().first.map(String.init) == id } ?? "" }

        let berlin = ISO8601DateFormatter()
        berlin.timeZone = TimeZone(identifier: "Europe/Berlin")
        let time = { (t: Double) in berlin.string(from: Date(timeIntervalSince1970: t)) }
        #expect(time(seeded.at).hasSuffix("+01:00") || time(seeded.at).hasSuffix("+02:00"))
        let spasmId = seeded.spasm.entryId.uuidString.lowercased()
        #expect(
            line(spasmId) == "Observation \(spasmId) final urn:spasmwatch:code|spasm,http://snomed.info/sct|45352006 - "
                + "\(time(seeded.at))/\(time(seeded.at + 95)) me spasm-type;body-site;severity;72514-3;duration", "\(lines)")
        let episodeId = seeded.episodeId.uuidString.lowercased()
        #expect(
            line(episodeId) == "Observation \(episodeId) final urn:spasmwatch:code|spasm,http://snomed.info/sct|45352006 - "
                + "\(time(seeded.at + 240))/\(time(seeded.at + 252)) me spasm-type;body-site;duration;confidence;dominant-frequency",
            "\(lines)")
        let checkinId = seeded.checkin.entryId.uuidString.lowercased()
        #expect(line("\(checkinId)-nrs") == "Observation \(checkinId)-nrs final urn:spasmwatch:code|spasticity-nrs 7 \(time(seeded.at + 120)) me ")
        #expect(line("\(checkinId)-psfs") == "Observation \(checkinId)-psfs final urn:spasmwatch:code|psfs-frequency 3 \(time(seeded.at + 120)) me ")
        let medicationId = seeded.medication.entryId.uuidString.lowercased()
        #expect(line(medicationId) == "MedicationStatement \(medicationId) active baclofen 20 mg, regular, started \(time(seeded.at + 180))/ me")
        // Exercise (LOINC 55411-3, minutes; the activity as LOINC 73985-4), the check-in's sleep
        // score, and each relapse entry (issue 18, point 12: they were left out).
        let (exercise, start, end) = (seeded.others[0], seeded.others[1], seeded.others[2])
        let exerciseId = exercise.entryId.uuidString.lowercased()
        #expect(
            line(exerciseId) == "Observation \(exerciseId) final http://loinc.org|55411-3,urn:spasmwatch:code|exercise 45|min "
                + "\(time(seeded.at + 300)) me 73985-4", "\(lines)")
        #expect(line("\(checkinId)-sleep") == "Observation \(checkinId)-sleep final urn:spasmwatch:code|sleep-quality 4 \(time(seeded.at + 120)) me ")
        let startId = start.entryId.uuidString.lowercased()
        #expect(line(startId) == "Observation \(startId) final urn:spasmwatch:code|relapse start \(time(seeded.at + 360)) me ", "\(lines)")
        let endId = end.entryId.uuidString.lowercased()
        #expect(line(endId) == "Observation \(endId) final urn:spasmwatch:code|relapse end \(time(seeded.at + 420)) me ", "\(lines)")
        #expect(lines.count == 10, "a models line and nine resources: \(lines)")

        await store.stop()
        await bus.stop()
    }
}
