import ArgumentParser
import Foundation
import SpasmErrors
import SpasmRuntime
import SpasmSchema
import SpasmStore
import SpasmSync

/// `spasmwatch export`: everything stored in a time range, as JSON, CSV or a FHIR R4 Bundle.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export diary entries, episodes, alerts and deliveries as JSON or CSV, or the clinical records as FHIR R4.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json, fhir }

    @OptionGroup var options: CommonOptions

    @Option(
        help:
            "csv (one row per record), json (the stored records in full) or fhir (a FHIR R4 Bundle of spasms, NRS, PSFS and medications for a clinic)."
    )
    var format: Format = .json

    @Option(help: "How far back: 30m, 12h, 7d, 2w, or a date (2026-11-01). Default: everything.")
    var since: String?

    @Option(help: "Write to this file instead of standard output.")
    var out: String?

    @Option(help: "Only this person.")
    var person: String?

    /// The JSON export's shape.
    struct Export: Codable {
        var exportedAt: Double
        var timeZone: String
        var entries: [StoredEntry]
        var episodes: [StoredEpisode]
        var alerts: [StoredAlert]
        var deliveries: [Delivery]
    }

    func run() async throws {
        if let out { try UserFiles.checkFolder(toWrite: out) }
        let access = try StoreAccess(options: options)
        let from = try since.map { try access.parseSince($0) }
        let entries = try await access.allEntries(StoreRequest(query: .entries, from: from, person: person))
        let episodes = try await access.allEpisodes(StoreRequest(query: .episodes, from: from, person: person))
        let alerts = try await access.allAlerts(StoreRequest(query: .alerts, from: from, person: person))
        let deliveries = try await access.allDeliveries(StoreRequest(query: .deliveries, from: from, person: person))
        let data: Data
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            data = try encoder.encode(
                Export(
                    exportedAt: Date().timeIntervalSince1970, timeZone: access.timeZone.identifier,
                    entries: entries, episodes: episodes, alerts: alerts, deliveries: deliveries))
        case .csv:
            data = Data(
                ExportCommand.csv(
                    access: access, entries: entries, episodes: episodes, alerts: alerts,
                    deliveries: deliveries
                ).utf8)
        case .fhir:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            data = try encoder.encode(FHIRExport.bundle(entries: entries, episodes: episodes, timeZone: access.timeZone))
        }
        if let out {
            try AtomicFile.write(data, to: URL(fileURLWithPath: out))
            FileHandle.standardError.write(
                Data(
                    "wrote \(entries.count) entries, \(episodes.count) episodes, \(alerts.count) alerts, \(deliveries.count) deliveries to \(out)\n"
                        .utf8))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }

    static func csv(
        access: StoreAccess, entries: [StoredEntry], episodes: [StoredEpisode], alerts: [StoredAlert],
        deliveries: [Delivery]
    ) -> String {
        var rows: [(Double, [String])] = []
        for e in entries {
            let s = e.entry.spasm
            let c = e.entry.checkin
            let duration = s?.durationSeconds ?? e.entry.exercise.map { $0.minutes * 60 }
            rows.append(
                (
                    e.at,
                    [
                        "entry", e.entry.entryId.uuidString, e.person, e.entry.kind.rawValue,
                        s?.type.rawValue ?? e.entry.medication?.name ?? e.entry.exercise?.activity ?? "",
                        s?.site?.rawValue ?? "", s.map { "\($0.severity)" } ?? "", s?.pain.map(String.init) ?? "",
                        c.map { "\($0.nrs)" } ?? "", c?.psfs.map(String.init) ?? "", duration.map(Describe.number) ?? "",
                        e.entry.medication.map(FHIRExport.dose) ?? "", Describe.entry(e.entry),
                    ]
                ))
        }
        for e in episodes {
            rows.append(
                (
                    e.start,
                    [
                        "episode", e.episodeId.uuidString, e.person, e.kind.rawValue, e.sensorId, e.site?.rawValue ?? "",
                        "", "", "", "", e.end.map { Describe.number($0 - e.start) } ?? "", "", Describe.episode(e),
                    ]
                ))
        }
        for a in alerts {
            rows.append(
                (
                    a.alert.at,
                    [
                        "alert", a.alert.alertId.uuidString, a.person, a.alert.kind, a.alert.severity.rawValue,
                        a.alert.site?.rawValue ?? "", "", "", "", "", "", "", Describe.alert(a),
                    ]
                ))
        }
        for d in deliveries {
            rows.append(
                (
                    d.at,
                    [
                        "delivery", d.deliveryId.uuidString, "", d.outcome.rawValue, d.channel, "", "", "", "", "", "", "",
                        Describe.delivery(d),
                    ]
                ))
        }
        rows.sort { $0.0 < $1.0 }
        var out = "record,id,time_utc,local_time,person,kind,detail,site,severity,pain,nrs,psfs,duration_s,dose,description\n"
        let iso = ISO8601DateFormatter()
        for (time, cells) in rows {
            var all = [
                cells[0], cells[1], iso.string(from: Date(timeIntervalSince1970: time)),
                access.localTime(time, format: "yyyy-MM-dd HH:mm:ss"),
            ]
            all += cells[2...]
            out += all.map(field).joined(separator: ",") + "\n"
        }
        return out
    }

    /// RFC 4180 quoting.
    static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
