import ArgumentParser
import Foundation
import SpasmErrors
import SpasmRuntime
import SpasmSchema
import SpasmStore
import SpasmSync

/// `spasmwatch report`: the self-contained HTML report for the neurologist.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the neurologist's report: one self-contained HTML file with charts, printable on A4.")

    @OptionGroup var options: CommonOptions

    @Option(help: "First day (local date, e.g. 2026-09-01). Default: 90 days before --to.")
    var from: String?

    @Option(help: "Last day, included (local date). Default: today.")
    var to: String?

    @Option(help: "The HTML file to write.")
    var out: String = "report.html"

    @Option(help: "Whose report (default: the configured person).")
    var person: String?

    @Flag(help: "Also print it to a PDF beside the HTML (report.pdf), with headless Chromium when installed.")
    var pdf = false

    func run() async throws {
        try UserFiles.checkFolder(toWrite: out)
        let access = try StoreAccess(options: options)
        let now = Date().timeIntervalSince1970
        let end: Double
        if let to {
            let day = try access.parseDate(to)
            end = (access.calendar.date(byAdding: .day, value: 1, to: Date(timeIntervalSince1970: day))?.timeIntervalSince1970 ?? day + 86_400)
        } else {
            end = now
        }
        let start: Double
        if let from {
            start = try access.parseDate(from)
        } else {
            start = access.startOfWindow(days: 90, now: Date(timeIntervalSince1970: end - 1))
        }
        guard start < end else { throw ValidationError("--from must be before --to") }
        let person = self.person ?? access.configuration.person
        let zone = access.timeZone.identifier
        let stats = try await access.query(StoreRequest(query: .statistics, from: start, to: end, person: person, timeZone: zone))
        let entries = try await access.allEntries(StoreRequest(query: .entries, from: start, to: end, person: person))
        let medications = try await access.allEntries(StoreRequest(query: .entries, to: end, person: person, kinds: ["medication"]))
        let episodes = try await access.allEpisodes(StoreRequest(query: .episodes, from: start, to: end, person: person))
        let alerts = try await access.allAlerts(StoreRequest(query: .alerts, from: start, to: end, person: person))
        guard let statistics = stats.statistics else { throw ValidationError("the store sent no statistics") }
        let input = ReportInput(
            person: person, from: start, to: end, timeZone: access.timeZone, generatedAt: now,
            statistics: statistics, entries: entries,
            medicationHistory: medications, episodes: episodes, alerts: alerts,
            name: self.person == nil ? access.configuration.personName : nil)
        let html = try ReportBuilder.html(input)
        try AtomicFile.write(html, to: URL(fileURLWithPath: out))
        let days = statistics.days
        print(
            "wrote \(out): \(days.first?.day ?? "") to \(days.last?.day ?? "") (\(days.count) days), "
                + "\(days.map(\.diarySpasms).reduce(0, +)) diary and \(days.map(\.detectedSpasms).reduce(0, +)) detected spasms, "
                + "\(ReportAnalysis.treatmentChanges(input.entries).count) treatment changes")
        if input.name?.isEmpty ?? true, person == Person.defaultId {
            print("the report names no one: set personName in \(access.home.configFile.path) (e.g. {\"personName\": \"Anna Example\"})")
        }
        guard pdf else { return }
        guard let browser = ReportPDF.browser() else {
            FileHandle.standardError.write(Data((ReportPDF.howToPrint(out) + "\n").utf8))
            throw ExitCode(1)
        }
        let pdfFile = ReportPDF.pdfPath(for: out)
        try await ReportPDF.render(html: out, to: pdfFile, browser: browser)
        print("wrote \(pdfFile) (A4)")
    }
}
