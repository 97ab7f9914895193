import ArgumentParser
import Foundation
import SpasmRuntime
import SpasmSchema
import SpasmStore

/// `spasmwatch history`: diary entries, detected episodes and alerts, oldest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List diary entries, detected episodes and alerts (from spasmwatch-store).")

    @OptionGroup var options: CommonOptions

    @Option(help: "How far back: 30m, 12h, 7d, 2w, or a date (2026-11-01).")
    var since: String = "7d"

    @Option(
        help:
            "Only these kinds (repeatable): spasm, checkin, medication, exercise, relapse, correction, confirmation, episode, phasic, clonus, tonic, fall, alert, delivery."
    )
    var kind: [String] = []

    @Option(help: "Only this body site (or limb), e.g. left-calf, left-leg.")
    var site: String?

    @Option(help: "Only this person.")
    var person: String?

    @Flag(help: "Also show retracted and replaced entries and the corrections.")
    var all = false

    func run() async throws {
        let access = try StoreAccess(options: options)
        let from = try access.parseSince(since)
        let siteFilter = try site.map { text -> BodySite in
            guard let s = BodySite(parsing: text) else { throw ValidationError("unknown body site '\(text)'; known: \(BodySite.allowedList)") }
            return s
        }
        let entryKinds = DiaryEntry.Kind.allCases.map(\.rawValue)
        let episodeKinds = EpisodeKind.allCases.map(\.rawValue)
        for k in kind where !(entryKinds + episodeKinds + ["episode", "alert", "delivery"]).contains(k) {
            throw ValidationError(
                "unknown kind '\(k)'; known: \((entryKinds + ["episode"] + episodeKinds + ["alert", "delivery"]).joined(separator: ", "))")
        }
        let wantEntries = kind.isEmpty || kind.contains(where: entryKinds.contains)
        let wantEpisodes = kind.isEmpty || kind.contains("episode") || kind.contains(where: episodeKinds.contains)
        let wantAlerts = kind.isEmpty || kind.contains("alert")
        let wantDeliveries = kind.contains("delivery")

        var rows: [(time: Double, cells: [String])] = []
        if wantEntries {
            let kinds = kind.filter(entryKinds.contains)
            let response = try await access.query(
                StoreRequest(
                    query: .entries, from: from, person: person,
                    kinds: kinds.isEmpty ? nil : kinds, site: siteFilter,
                    includeCorrected: all))
            for stored in response.entries ?? [] {
                let note = stored.correctedBy.map { " [corrected by \(Describe.shortId($0))]" } ?? ""
                rows.append(
                    (
                        stored.at,
                        [
                            access.localTime(stored.at), stored.entry.kind.rawValue,
                            Describe.shortId(stored.entry.entryId), Describe.entry(stored.entry) + note,
                        ]
                    ))
            }
        }
        if wantEpisodes {
            let kinds = kind.filter(episodeKinds.contains)
            let response = try await access.query(
                StoreRequest(
                    query: .episodes, from: from, person: person,
                    kinds: kinds.isEmpty ? nil : kinds, site: siteFilter))
            for e in response.episodes ?? [] {
                rows.append((e.start, [access.localTime(e.start), "detected", Describe.shortId(e.episodeId), Describe.episode(e)]))
            }
        }
        if wantAlerts {
            let response = try await access.query(StoreRequest(query: .alerts, from: from, person: person, site: siteFilter))
            for a in response.alerts ?? [] {
                rows.append(
                    (
                        a.alert.at,
                        [
                            access.localTime(a.alert.at), "alert " + a.alert.kind, Describe.shortId(a.alert.alertId),
                            Describe.alert(a),
                        ]
                    ))
            }
        }
        if wantDeliveries {
            let response = try await access.query(StoreRequest(query: .deliveries, from: from, person: person))
            for d in response.deliveries ?? [] {
                rows.append((d.at, [access.localTime(d.at), "delivery", Describe.shortId(d.deliveryId), Describe.delivery(d)]))
            }
        }
        rows.sort { $0.time < $1.time }
        if rows.isEmpty {
            print("Nothing recorded since \(access.localTime(from)) (\(access.timeZone.identifier)).")
            return
        }
        Format.printTable([["WHEN (\(access.timeZone.identifier))", "WHAT", "ID", "DETAILS"]] + rows.map(\.cells))
    }
}
