import Foundation
import SpasmResources
import SpasmSchema

/// The report for the neurologist: one self-contained HTML file (inline CSS and SVG, no
/// scripts, no network), printable on A4.
public enum ReportBuilder {
    static let diaryColors: [(String, String)] = [("tonic", "#1565c0"), ("phasic", "#ef6c00"), ("clonus", "#6a1b9a"),
                                                  ("cramp", "#00897b"), ("unsure", "#9e9e9e")]
    static let detectedColors: [(String, String)] = [("tonic", "#64b5f6"), ("phasic", "#ffb74d"), ("clonus", "#ba68c8")]

    /// The report; its style sheet is `Templates/report.css`, a SwiftPM resource beside the executable.
    public static func html(_ input: ReportInput, files: ResourceFiles = .store) throws -> String {
        let style = try files.text("Templates/report.css")
        let days = LocalDays(from: input.from, to: input.to, timeZone: input.timeZone)
        let stats = input.statistics.days
        let changes = ReportAnalysis.treatmentChanges(input.entries)
        let periods = ReportAnalysis.shadedPeriods(entries: input.entries, alerts: input.alerts, end: days.bounds.last ?? input.to)
        let medications = ReportAnalysis.currentMedications(input.medicationHistory, at: input.to)
        let counted = ReportAnalysis.countedSpasms(entries: input.entries, episodes: input.episodes)
        let daily = ReportAnalysis.dailySpasms(counted, localDays: days)
        let comparisons = changes.map { ReportAnalysis.compare($0, days: stats, spasms: daily, localDays: days) }
        let e = SVGChart.escape

        let totalDiary = daily.map(\.diary).reduce(0, +)
        let totalDetected = daily.map(\.detected).reduce(0, +)
        let totalMatched = daily.map(\.matched).reduce(0, +)
        let falls = stats.map { $0.detected["fall"] ?? 0 }.reduce(0, +)
        let interrupted = input.episodes.filter { $0.interrupted == true }.count
        let nrsValues = stats.compactMap(\.nrs)
        let meanNRS = nrsValues.isEmpty ? nil : nrsValues.reduce(0, +) / Double(nrsValues.count)

        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>SpasmWatch report — \(e(input.person)) — \(e(days.labels.first ?? "")) to \(e(days.labels.last ?? ""))</title>
        <style>
        \(style)</style></head><body>
        <header>
        <h1>Spasm report</h1>
        <div class="meta">Person: <b>\(e(input.person))</b> · Period: <b>\(e(days.labels.first ?? "")) – \(e(days.labels.last ?? ""))</b> (\(days.count) days, \(e(input.timeZone.identifier))) · Generated \(e(localTime(input.generatedAt, input.timeZone)))</div>
        <div class="meta">Current medications: \(medications.isEmpty ? "none recorded" : medications.map { e(Describe.medication($0)) }.joined(separator: "; "))</div>
        <p class="summary"><span>Spasms <b id="total-spasms">\(totalDiary + totalDetected - totalMatched)</b></span><span>in the diary <b id="total-diary">\(totalDiary)</b></span><span>detected <b id="total-detected">\(totalDetected)</b></span><span>both <b id="total-matched">\(totalMatched)</b></span><span>Falls <b>\(falls)</b></span><span>Mean NRS <b id="mean-nrs">\(meanNRS.map { String(format: "%.1f", $0) } ?? "–")</b></span><span>Treatment changes <b>\(changes.count)</b></span>\(interrupted > 0 ? "<span>Interrupted episodes <b id=\"interrupted\">\(interrupted)</b></span>" : "")</p>
        </header>

        """
        html += section("Daily spasm counts by type — diary (left) and detected (right)",
                        countsChart(days: days, stats: stats, periods: periods, changes: changes) + countsLegend())
        html += section("Severity, NRS and pain",
                        trendChart(days: days, stats: stats, periods: periods, changes: changes)
                        + "<div class=\"legend\"><span><i class=\"sw\" style=\"background:#c62828\"></i>NRS (0–10, daily mean)</span><span><i class=\"sw\" style=\"background:#ef6c00\"></i>pain (0–10)</span><span><i class=\"sw\" style=\"background:#1565c0\"></i>severity (1–3, shown ×3.33)</span><span><i class=\"sw\" style=\"background:#f4c7c3\"></i>relapse</span><span><i class=\"sw\" style=\"background:#fde9b8\"></i>flare-up</span></div>")
        html += section("Hour of day (diary and detected spasms)", hourChart(input.statistics.hourOfDay))
        html += section("Body sites", sitesTable(input.statistics.sites))
        html += section("Treatment changes: before and after", comparisonTable(comparisons, timeZone: input.timeZone))
        html += section("Relapses and flare-ups", periodsTable(periods, timeZone: input.timeZone))
        html += "<p class=\"note\">Diary: what the person recorded (corrections applied). Detected: episodes found by the wearable sensors; episodes the person marked “not a spasm” and falls are not counted as spasms. Both: a diary spasm and a detected episode on the same body site at most \(Int(ReportAnalysis.matchWindowSeconds / 60)) minutes apart are one spasm, counted once in “Spasms”, in the daily counts and before/after. A ≥30% drop in spasm frequency or NRS is flagged as a response. Days are local (\(e(input.timeZone.identifier))).\(interrupted > 0 ? " Interrupted episodes: detection stopped (a crash or a restart) while they were open; they are counted, and end when the sensor was last seen." : "")</p>\n"
        html += "</body></html>\n"
        return html
    }

    static func section(_ title: String, _ body: String) -> String {
        "<section><h2>\(SVGChart.escape(title))</h2>\n\(body)\n</section>\n"
    }

    static func localTime(_ time: Double, _ zone: TimeZone, format: String = "yyyy-MM-dd HH:mm") -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = format
        return f.string(from: Date(timeIntervalSince1970: time))
    }

    static func countsLegend() -> String {
        var html = "<div class=\"legend\">"
        for (k, c) in diaryColors { html += "<span><i class=\"sw\" style=\"background:\(c)\"></i>diary \(k)</span>" }
        for (k, c) in detectedColors { html += "<span><i class=\"sw\" style=\"background:\(c)\"></i>detected \(k)</span>" }
        html += "<span>dashed lines: treatment changes (numbered as in the table below)</span></div>"
        return html
    }

    static func countsChart(days: LocalDays, stats: [DailyStatistics], periods: [ShadedPeriod], changes: [TreatmentChange]) -> String {
        var chart = SVGChart()
        let maxCount = stats.map { max($0.diarySpasms, $0.detectedSpasms) }.max() ?? 0
        let top = SVGChart.niceMaximum(Double(max(maxCount, 1)))
        chart.yAxis(maximum: top, label: "spasms per day")
        let axis = DayAxis(days: days, chart: chart)
        axis.context(into: &chart, periods: periods, changes: changes)
        let barWidth = max(axis.dayWidth * 0.42, 0.8)
        for (i, day) in stats.enumerated() where i < days.count {
            for (side, (counts, colors)) in [(day.diary, diaryColors), (day.detected, detectedColors)].enumerated() {
                var y = chart.top + chart.plotHeight
                let x = axis.x(day: i) + axis.dayWidth * 0.06 + Double(side) * (barWidth + axis.dayWidth * 0.04)
                for (kind, color) in colors {
                    let n = counts[kind] ?? 0
                    guard n > 0 else { continue }
                    let h = chart.plotHeight * Double(n) / top
                    y -= h
                    chart.rect(x: x, y: y, w: barWidth, h: h, fill: color,
                               title: "\(day.day): \(side == 0 ? "diary" : "detected") \(kind) \(n)")
                }
            }
        }
        axis.labels(into: &chart)
        return chart.render(label: "daily spasm counts")
    }

    static func trendChart(days: LocalDays, stats: [DailyStatistics], periods: [ShadedPeriod], changes: [TreatmentChange]) -> String {
        var chart = SVGChart(height: 200)
        chart.yAxis(maximum: 10, steps: 5, label: "0–10")
        let axis = DayAxis(days: days, chart: chart)
        axis.context(into: &chart, periods: periods, changes: changes)
        let series: [(String, (DailyStatistics) -> Double?)] = [
            ("#c62828", { $0.nrs }), ("#ef6c00", { $0.painMean }), ("#1565c0", { $0.severityMean.map { $0 * 10 / 3 } }),
        ]
        for (color, value) in series {
            var points: [String] = []
            func flush() {
                if points.count > 1 {
                    chart.add("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(points.joined(separator: " "))\"/>")
                }
                points.removeAll()
            }
            for (i, day) in stats.enumerated() where i < days.count {
                guard let v = value(day) else { flush(); continue }
                let x = axis.x(day: i) + axis.dayWidth / 2, y = chart.top + chart.plotHeight * (1 - v / 10)
                points.append("\(SVGChart.f(x)),\(SVGChart.f(y))")
                chart.add("<circle cx=\"\(SVGChart.f(x))\" cy=\"\(SVGChart.f(y))\" r=\"1.8\" fill=\"\(color)\"/>")
            }
            flush()
        }
        axis.labels(into: &chart)
        return chart.render(label: "severity and NRS trend")
    }

    static func hourChart(_ hours: [Int]) -> String {
        var chart = SVGChart(height: 170)
        let top = SVGChart.niceMaximum(Double(max(hours.max() ?? 0, 1)))
        chart.yAxis(maximum: top, label: "spasms")
        let w = chart.plotWidth / 24
        for (h, n) in hours.enumerated() {
            let height = chart.plotHeight * Double(n) / top
            chart.rect(x: chart.left + Double(h) * w + 2, y: chart.top + chart.plotHeight - height, w: w - 4, h: height,
                       fill: "#5c6bc0", title: String(format: "%02d:00–%02d:59: %d", h, h, n))
            if h % 3 == 0 { chart.text(chart.left + Double(h) * w + w / 2, chart.top + chart.plotHeight + 14, String(format: "%02d h", h), size: 9) }
        }
        return chart.render(label: "hour of day")
    }

    static func sitesTable(_ sites: [String: Int]) -> String {
        guard !sites.isEmpty else { return "<p class=\"note\">No body sites recorded.</p>" }
        let total = sites.values.reduce(0, +), top = sites.values.max() ?? 1
        var html = "<table><tr><th>Site</th><th class=\"num\">Spasms</th><th class=\"num\">Share</th><th style=\"width:45%\"></th></tr>"
        for (site, n) in sites.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            let name = BodySite(rawValue: site)?.displayName ?? site
            html += "<tr><td>\(SVGChart.escape(name))</td><td class=\"num\">\(n)</td><td class=\"num\">\(Int((Double(n) / Double(total) * 100).rounded()))%</td>"
            html += "<td><svg viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\" style=\"height:9px\"><rect width=\"\(SVGChart.f(Double(n) / Double(top) * 100))\" height=\"8\" fill=\"#26a69a\"/></svg></td></tr>"
        }
        return html + "</table>"
    }

    /// "-50%" / "+12%".
    public static func percent(_ value: Double?) -> String {
        guard let value else { return "–" }
        return String(format: "%+.0f%%", value)
    }

    static func comparisonTable(_ rows: [BeforeAfter], timeZone: TimeZone) -> String {
        guard !rows.isEmpty else { return "<p class=\"note\">No medication, supplement or exercise changes recorded in this period.</p>" }
        var html = """
        <table><tr><th>#</th><th>When</th><th>Change</th><th class="num">Spasms/day before → after</th><th class="num">Change</th><th class="num">NRS before → after</th><th class="num">Change</th></tr>
        """
        func value(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "–" }
        func flagged(_ pct: Double?, _ responder: Bool) -> String {
            let text = percent(pct)
            if responder { return "<span class=\"responder\">\(text) ✓ ≥30% drop</span>" }
            if let pct, pct >= ReportAnalysis.responderThresholdPercent { return "<span class=\"worse\">\(text)</span>" }
            return text
        }
        for (n, row) in rows.enumerated() {
            html += "<tr class=\"change\"><td>\(n + 1)</td><td>\(localTime(row.change.at, timeZone, format: "yyyy-MM-dd"))</td>"
            html += "<td>\(SVGChart.escape(row.change.kind.rawValue)): \(SVGChart.escape(row.change.label))<br><span class=\"note\">\(row.daysBefore) days before, \(row.daysAfter) after</span></td>"
            html += "<td class=\"num\">\(value(row.spasmsBefore)) → \(value(row.spasmsAfter))</td><td class=\"num\">\(flagged(row.spasmChangePercent, row.spasmResponder))</td>"
            html += "<td class=\"num\">\(value(row.nrsBefore)) → \(value(row.nrsAfter))</td><td class=\"num\">\(flagged(row.nrsChangePercent, row.nrsResponder))</td></tr>\n"
        }
        html += "</table><p class=\"note\">Up to \(ReportAnalysis.window) days on each side of the day of the change (the day itself left out); fewer than \(ReportAnalysis.minimumDays) days with data: no comparison (–). Spasms: diary and detected, a spasm in both counted once.</p>"
        return html
    }

    static func periodsTable(_ periods: [ShadedPeriod], timeZone: TimeZone) -> String {
        guard !periods.isEmpty else { return "<p class=\"note\">None recorded in this period.</p>" }
        var html = "<table><tr><th>What</th><th>From</th><th>To</th></tr>"
        for p in periods.sorted(by: { $0.start < $1.start }) {
            html += "<tr><td>\(p.label)</td><td>\(localTime(p.start, timeZone))</td><td>\(localTime(p.end, timeZone))</td></tr>"
        }
        return html + "</table>"
    }
}

extension ResourceFiles {
    /// SpasmStore's files (`Shared/Store/Report/Templates`), beside the executable.
    public static let store = ResourceFiles(bundle: "SpasmWatch_SpasmStore")
}
