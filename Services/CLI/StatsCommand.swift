import ArgumentParser
import Foundation
import SpasmRuntime
import SpasmSchema
import SpasmStore

/// `spasmwatch stats`: daily spasm counts, NRS and PSFS as a table, with sparklines.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Daily statistics: spasm counts (diary and detected), NRS, PSFS, hour of day, body sites.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Number of days, ending today.")
    var days: Int = 30

    @Option(help: "Only this person.")
    var person: String?

    func run() async throws {
        guard days > 0 else { throw ValidationError("--days must be at least 1") }
        let access = try StoreAccess(options: options)
        let from = access.startOfWindow(days: days)
        let now = Date().timeIntervalSince1970
        let response = try await access.query(
            StoreRequest(
                query: .statistics, from: from, to: now, person: person,
                timeZone: access.timeZone.identifier))
        guard let stats = response.statistics else { throw ValidationError("the store sent no statistics") }
        print(StatsCommand.render(stats))
    }

    static func render(_ stats: StoreStatistics) -> String {
        var lines: [String] = []
        var rows: [[String]] = [["DAY", "DIARY", "DETECTED", "TONIC", "PHASIC", "CLONUS", "CRAMP", "FALLS", "SEVERITY", "NRS", "PSFS"]]
        for d in stats.days {
            func n(_ dict: [String: Int], _ key: String) -> String { dict[key].map(String.init) ?? "-" }
            let tonic = (d.diary["tonic"] ?? 0) + (d.detected["tonic"] ?? 0)
            let phasic = (d.diary["phasic"] ?? 0) + (d.detected["phasic"] ?? 0)
            let clonus = (d.diary["clonus"] ?? 0) + (d.detected["clonus"] ?? 0)
            rows.append([
                d.day, "\(d.diarySpasms)", "\(d.detectedSpasms)", "\(tonic)", "\(phasic)", "\(clonus)",
                n(d.diary, "cramp"), n(d.detected, "fall"),
                d.severityMean.map { String(format: "%.1f", $0) } ?? "-",
                d.nrs.map { String(format: "%.1f", $0) } ?? "-", d.psfs.map(String.init) ?? "-",
            ])
        }
        lines.append(Format.table(rows))
        lines.append("")
        let diary = stats.days.map { Double($0.diarySpasms) }
        let detected = stats.days.map { Double($0.detectedSpasms) }
        func summary(_ values: [Double?]) -> String {
            let known = values.compactMap { $0 }
            guard !known.isEmpty else { return "no data" }
            return String(format: "mean %.1f, min %.0f, max %.0f", known.reduce(0, +) / Double(known.count), known.min()!, known.max()!)
        }
        let labelWidth = 24
        func line(_ label: String, _ values: [Double?], _ note: String) -> String {
            label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + Sparkline.render(values) + "  " + note
        }
        lines.append(line("spasms/day, diary", diary, summary(diary) + ", total \(Int(diary.reduce(0, +)))"))
        lines.append(line("spasms/day, detected", detected, summary(detected) + ", total \(Int(detected.reduce(0, +)))"))
        lines.append(line("NRS (0–10)", stats.days.map(\.nrs), summary(stats.days.map(\.nrs))))
        lines.append(line("PSFS (0–4)", stats.days.map { $0.psfs.map(Double.init) }, summary(stats.days.map { $0.psfs.map(Double.init) })))
        lines.append(line("severity (1–3)", stats.days.map(\.severityMean), summary(stats.days.map(\.severityMean))))
        lines.append(
            line(
                "hour of day 00→23", stats.hourOfDay.map(Double.init),
                "busiest \(String(format: "%02d", stats.hourOfDay.firstIndex(of: stats.hourOfDay.max() ?? 0) ?? 0)):00"))
        let sites = stats.sites.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(6)
            .map { "\($0.key.replacingOccurrences(of: "-", with: " ")) \($0.value)" }
        lines.append(
            "body sites".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
                + (sites.isEmpty ? "none recorded" : sites.joined(separator: ", ")))
        lines.append("")
        lines.append("Days are local (\(stats.timeZone)). TONIC, PHASIC, CLONUS: diary and detected together. Detected: episodes")
        lines.append("from the sensors; falls and episodes marked \"not a spasm\" are not counted as spasms.")
        return lines.joined(separator: "\n")
    }
}

/// Unicode block sparklines: "▁▂▄█", a space where a value is missing.
enum Sparkline {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    static func render(_ values: [Double?]) -> String {
        let known = values.compactMap { $0 }
        guard let low = known.min(), let high = known.max() else { return String(repeating: " ", count: values.count) }
        return String(
            values.map { value -> Character in
                guard let value else { return " " }
                if high == low { return high == 0 ? blocks[0] : blocks[3] }
                let index = Int(((value - low) / (high - low) * Double(blocks.count - 1)).rounded())
                return blocks[min(max(index, 0), blocks.count - 1)]
            })
    }
}
