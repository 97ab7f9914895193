import Foundation
import SpasmResources
import SpasmSchema

/// The report for the neurologist: one self-contained HTML file (inline CSS and SVG, no
/// scripts, no network), printable on A4.
public enum ReportBuilder {
    /// Weekly bars: three fills that stay apart in black-and-white print.
    static let sourceColors: [(CountedSpasm.Source, String, String)] = [
        (.diary, "#1a3f7a", "diary only"), (.both, "#8fa8cf", "diary and detected (one spasm)"),
        (.detected, "#e08a00", "detected only"),
    ]

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
        let comparisons = changes.map { ReportAnalysis.compare($0, days: stats, spasms: daily, localDays: days, periods: periods) }
        let hours = ReportAnalysis.hours(counted, localDays: days)
        let e = SVGChart.escape

        let totalDiary = daily.map(\.diary).reduce(0, +)
        let totalDetected = daily.map(\.detected).reduce(0, +)
        let totalMatched = daily.map(\.matched).reduce(0, +)
        let falls = stats.map { $0.detected["fall"] ?? 0 }.reduce(0, +)
        let interrupted = input.episodes.filter { $0.interrupted == true }.count
        let nrsValues = stats.compactMap(\.nrs)
        let meanNRS = nrsValues.isEmpty ? nil : nrsValues.reduce(0, +) / Double(nrsValues.count)
        let name = input.name.flatMap { $0.isEmpty ? nil : $0 } ?? (input.person == Person.defaultId ? nil : input.person)
        let period = "\(days.labels.first ?? "") – \(days.labels.last ?? "")"

        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>SpasmWatch report\(name.map { " — " + e($0) } ?? "") — \(e(days.labels.first ?? "")) to \(e(days.labels.last ?? ""))</title>
            <style>
            \(style)</style></head><body>
            <header>
            <h1>Spasm report\(name.map { " — <span id=\"person\">" + e($0) + "</span>" } ?? "")</h1>
            <div class="meta">Period: <b class="date">\(e(period))</b> (\(days.count) days, \(e(input.timeZone.identifier))) · Generated <span class="date">\(e(localTime(input.generatedAt, input.timeZone)))</span></div>
            <div class="meta">Current medications: \(medications.isEmpty ? "none recorded" : medications.map { e(Describe.medication($0)) }.joined(separator: "; "))</div>
            </header>
            <section class="answers">
            <h2>In one minute</h2>
            <p id="answer-often"><b>How often, how bad:</b> \(e(oftenAnswer(ReportAnalysis.recent(days: stats, spasms: daily))))</p>
            <p id="answer-when"><b>When:</b> \(e(whenAnswer(hours)))</p>
            <p id="answer-change"><b>Last treatment change:</b> \(e(changeAnswer(comparisons.last, timeZone: input.timeZone)))</p>
            </section>
            <p class="summary"><span>Spasms <b id="total-spasms">\(totalDiary + totalDetected - totalMatched)</b></span><span>in the diary <b id="total-diary">\(totalDiary)</b></span><span>detected <b id="total-detected">\(totalDetected)</b></span><span>both <b id="total-matched">\(totalMatched)</b></span><span>Falls <b>\(falls)</b></span><span>Mean NRS <b id="mean-nrs">\(meanNRS.map { String(format: "%.1f", $0) } ?? "–")</b></span>\(interrupted > 0 ? "<span>Interrupted episodes <b id=\"interrupted\">\(interrupted)</b></span>" : "")</p>

            """
        html += section("Treatment changes: before and after", comparisonTable(comparisons, timeZone: input.timeZone))
        html += "<div class=\"page\"></div>\n"
        html += section(
            "Spasms per day, weekly mean — each spasm counted once",
            countsChart(days: days, daily: daily, periods: periods, changes: changes) + countsLegend())
        html += section(
            "NRS and pain (0–10, daily mean)",
            trendChart(days: days, stats: stats, periods: periods, changes: changes)
                + "<div class=\"legend\"><span><i class=\"sw\" style=\"background:#c62828\"></i>NRS</span><span><i class=\"sw\" style=\"background:#ef6c00\"></i>pain</span><span><i class=\"sw\" style=\"background:#f4c7c3\"></i>relapse</span><span><i class=\"sw\" style=\"background:#fde9b8\"></i>flare-up</span></div>"
        )
        html += section(
            "Severity (diary, 1 mild – 3 severe, daily mean)", severityChart(days: days, stats: stats, periods: periods, changes: changes))
        html += section("Hour of day (spasms, each counted once)", hourChart(hours))
        html += section("Body sites", sitesTable(input.statistics.sites))
        html += section("Relapses and flare-ups", periodsTable(periods, timeZone: input.timeZone))
        html +=
            "<p class=\"note\">Diary: what the person recorded (corrections applied). Detected: episodes found by the wearable sensors; episodes the person marked “not a spasm” and falls are not counted as spasms. Both: a diary spasm and a detected episode on the same body site at most \(Int(ReportAnalysis.matchWindowSeconds / 60)) minutes apart are one spasm, counted once in “Spasms”, in the charts and before/after. A responder: the NRS fell by at least \(Int(ReportAnalysis.responderThresholdPercent))%. Days are local (\(e(input.timeZone.identifier))).\(interrupted > 0 ? " Interrupted episodes: detection stopped (a crash or a restart) while they were open; they are counted, and end when the sensor was last seen." : "")</p>\n"
        html += "</body></html>\n"
        return html
    }

    static func number(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "–" }

    /// "5.4 spasms a day over the last 30 days (the 30 days before: 13.5, −60%); NRS 4.2 (7.1, −41%); severity 1.6 of 3".
    static func oftenAnswer(_ r: ReportAnalysis.Recent) -> String {
        var text = "\(number(r.spasmsPerDay)) spasms a day over the last \(r.days) days"
        if let before = r.previousSpasmsPerDay {
            text += " (the \(r.previousDays) days before: \(number(before)), \(percent(r.spasmChangePercent)))"
        } else {
            text += " (no trend: fewer than \(ReportAnalysis.minimumDays) days before them)"
        }
        if let nrs = r.nrs {
            text += "; NRS \(number(nrs))" + (r.previousNRS.map { " (\(number($0)), \(percent(r.nrsChangePercent)))" } ?? "")
        }
        if let severity = r.severity { text += "; severity \(number(severity)) of 3" }
        return text
    }

    /// "18:00–21:00 (42% of spasms)".
    static func whenAnswer(_ hours: [Int]) -> String {
        guard let worst = ReportAnalysis.worstHours(hours) else { return "no spasms recorded" }
        let total = hours.reduce(0, +)
        return String(
            format: "most between %02d:00 and %02d:00 (%d%% of spasms, in 3 of 24 hours)", worst.start, (worst.start + 3) % 24,
            Int((Double(worst.count) / Double(max(total, 1)) * 100).rounded()))
    }

    /// "Since baclofen 20 mg started (18 Oct): NRS 7.1 → 4.2 (−41%): responder; spasms 13.5 → 5.4 a day (−60%)".
    static func changeAnswer(_ row: BeforeAfter?, timeZone: TimeZone) -> String {
        guard let row else { return "none recorded in this period" }
        var text = "Since \(row.change.short) (\(localTime(row.change.at, timeZone, format: "d MMM"))): "
        if let before = row.nrsBefore, let after = row.nrsAfter {
            text += "NRS \(number(before)) → \(number(after)) (\(percent(row.nrsChangePercent))): "
            text += row.nrsResponder ? "responder" : "not a responder (the NRS fell by less than \(Int(ReportAnalysis.responderThresholdPercent))%)"
        } else {
            text += "NRS: too few days to compare (\(row.daysBefore) before, \(row.daysAfter) after; \(ReportAnalysis.minimumDays) needed)"
        }
        if let before = row.spasmsBefore, let after = row.spasmsAfter {
            text += "; spasms \(number(before)) → \(number(after)) a day (\(percent(row.spasmChangePercent)))"
        }
        if !row.confounders.isEmpty { text += ". Unfair comparison: " + row.confounders.joined(separator: " and ") }
        return text
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
        for (_, c, label) in sourceColors { html += "<span><i class=\"sw\" style=\"background:\(c)\"></i>\(label)</span>" }
        html += "<span>dashed lines: treatment changes (numbered as in the table on page 1)</span></div>"
        return html
    }

    /// One stacked bar a week (the last may be shorter): diary only, both, detected only, as
    /// a mean per day, with the week's mean above the bar.
    static func countsChart(days: LocalDays, daily: [DailySpasms], periods: [ShadedPeriod], changes: [TreatmentChange]) -> String {
        var chart = SVGChart(top: 22)
        let weeks = stride(from: 0, to: min(days.count, daily.count), by: 7).map { $0..<min($0 + 7, days.count, daily.count) }
        func mean(_ r: Range<Int>, _ value: (DailySpasms) -> Int) -> Double { Double(daily[r].map(value).reduce(0, +)) / Double(max(r.count, 1)) }
        let means = weeks.map { r in [mean(r) { $0.diary - $0.matched }, mean(r) { $0.matched }, mean(r) { $0.detected - $0.matched }] }
        let (top, steps) = SVGChart.niceTicks(means.map { $0.reduce(0, +) }.max() ?? 0)
        chart.yAxis(maximum: top, steps: steps, label: "spasms per day")
        let axis = DayAxis(days: days, chart: chart)
        axis.context(into: &chart, periods: periods, changes: changes)
        for (w, r) in weeks.enumerated() {
            let x = axis.x(day: r.lowerBound) + 3
            let width = axis.dayWidth * Double(r.count) - 6
            var y = chart.top + chart.plotHeight
            for (k, (source, color, label)) in sourceColors.enumerated() where means[w][k] > 0 {
                let h = chart.plotHeight * means[w][k] / top
                y -= h
                chart.rect(
                    x: x, y: y, w: width, h: h, fill: color,
                    title: "week of \(days.labels[r.lowerBound]): \(label) \(number(means[w][k])) a day (\(source.rawValue))")
            }
            chart.text(x + width / 2, y - 3, number(means[w].reduce(0, +)), size: 9)
        }
        axis.labels(into: &chart)
        return chart.render(label: "spasms per day, weekly mean")
    }

    /// Daily lines on a fixed axis from `minimum` to `maximum`.
    static func lines(
        _ chart: inout SVGChart, axis: DayAxis, stats: [DailyStatistics], minimum: Double, maximum: Double,
        series: [(String, (DailyStatistics) -> Double?)]
    ) {
        for (color, value) in series {
            var points: [String] = []
            func flush() {
                if points.count > 1 {
                    chart.add("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(points.joined(separator: " "))\"/>")
                }
                points.removeAll()
            }
            for (i, day) in stats.enumerated() where i < axis.days.count {
                guard let v = value(day) else {
                    flush()
                    continue
                }
                let x = axis.x(day: i) + axis.dayWidth / 2
                let y = chart.top + chart.plotHeight * (1 - (v - minimum) / (maximum - minimum))
                points.append("\(SVGChart.f(x)),\(SVGChart.f(y))")
                chart.add("<circle cx=\"\(SVGChart.f(x))\" cy=\"\(SVGChart.f(y))\" r=\"1.8\" fill=\"\(color)\"/>")
            }
            flush()
        }
    }

    static func trendChart(days: LocalDays, stats: [DailyStatistics], periods: [ShadedPeriod], changes: [TreatmentChange]) -> String {
        var chart = SVGChart(height: 190, top: 22)
        chart.yAxis(maximum: 10, steps: 5, label: "0–10")
        let axis = DayAxis(days: days, chart: chart)
        axis.context(into: &chart, periods: periods, changes: changes)
        lines(&chart, axis: axis, stats: stats, minimum: 0, maximum: 10, series: [("#c62828", { $0.nrs }), ("#ef6c00", { $0.painMean })])
        axis.labels(into: &chart)
        return chart.render(label: "NRS and pain")
    }

    static func severityChart(days: LocalDays, stats: [DailyStatistics], periods: [ShadedPeriod], changes: [TreatmentChange]) -> String {
        var chart = SVGChart(height: 120, top: 22)
        chart.yAxis(minimum: 1, maximum: 3, steps: 2, label: "1–3")
        let axis = DayAxis(days: days, chart: chart)
        axis.context(into: &chart, periods: periods, changes: changes)
        lines(&chart, axis: axis, stats: stats, minimum: 1, maximum: 3, series: [("#1565c0", { $0.severityMean })])
        axis.labels(into: &chart)
        return chart.render(label: "severity")
    }

    static func hourChart(_ hours: [Int]) -> String {
        var chart = SVGChart(height: 170)
        let (top, steps) = SVGChart.niceTicks(Double(hours.max() ?? 0))
        chart.yAxis(maximum: top, steps: steps, label: "spasms")
        let w = chart.plotWidth / 24
        for (h, n) in hours.enumerated() {
            let height = chart.plotHeight * Double(n) / top
            chart.rect(
                x: chart.left + Double(h) * w + 2, y: chart.top + chart.plotHeight - height, w: w - 4, h: height,
                fill: "#5c6bc0", title: String(format: "%02d:00–%02d:59: %d", h, h, n))
            if h % 3 == 0 { chart.text(chart.left + Double(h) * w + w / 2, chart.top + chart.plotHeight + 14, String(format: "%02d h", h), size: 9) }
        }
        return chart.render(label: "hour of day")
    }

    static func sitesTable(_ sites: [String: Int]) -> String {
        guard !sites.isEmpty else { return "<p class=\"note\">No body sites recorded.</p>" }
        let total = sites.values.reduce(0, +)
        let top = sites.values.max() ?? 1
        var html = "<table><tr><th>Site</th><th class=\"num\">Spasms</th><th class=\"num\">Share</th><th style=\"width:45%\"></th></tr>"
        for (site, n) in sites.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            let name = BodySite(rawValue: site)?.displayName ?? site
            html +=
                "<tr><td>\(SVGChart.escape(name))</td><td class=\"num\">\(n)</td><td class=\"num\">\(Int((Double(n) / Double(total) * 100).rounded()))%</td>"
            html +=
                "<td><svg viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\" style=\"height:9px\"><rect width=\"\(SVGChart.f(Double(n) / Double(top) * 100))\" height=\"8\" fill=\"#26a69a\"/></svg></td></tr>"
        }
        return html + "</table>"
    }

    /// "−50%" / "+12%" (a true minus sign).
    public static func percent(_ value: Double?) -> String {
        guard let value else { return "–" }
        let rounded = value.rounded()
        return rounded < 0 ? "−\(Int(-rounded))%" : "+\(Int(rounded))%"
    }

    static func comparisonTable(_ rows: [BeforeAfter], timeZone: TimeZone) -> String {
        guard !rows.isEmpty else { return "<p class=\"note\">No regimen started, changed or stopped in this period.</p>" }
        var html = """
            <table><tr><th>#</th><th>When</th><th>Change</th><th class="num">NRS before → after</th><th class="num">Change</th><th class="num">Spasms/day before → after</th><th class="num">Change</th></tr>
            """
        for (n, row) in rows.enumerated() {
            let nrs = percent(row.nrsChangePercent)
            html += "<tr class=\"change\"><td>\(n + 1)</td><td class=\"date\">\(localTime(row.change.at, timeZone, format: "yyyy-MM-dd"))</td>"
            html +=
                "<td>\(SVGChart.escape(row.change.kind.rawValue)): \(SVGChart.escape(row.change.label))<br><span class=\"note\">\(row.daysBefore) days before, \(row.daysAfter) after</span>"
            for c in row.confounders { html += "<br><span class=\"unfair\">⚠ \(SVGChart.escape(c)): the comparison may be unfair</span>" }
            html += "</td><td class=\"num\">\(number(row.nrsBefore)) → \(number(row.nrsAfter))</td>"
            html +=
                "<td class=\"num\">\(row.nrsResponder ? "<span class=\"responder\">\(nrs) responder</span>" : ((row.nrsChangePercent ?? 0) >= ReportAnalysis.responderThresholdPercent ? "<span class=\"worse\">\(nrs)</span>" : nrs))</td>"
            html +=
                "<td class=\"num\">\(number(row.spasmsBefore)) → \(number(row.spasmsAfter))</td><td class=\"num\">\(percent(row.spasmChangePercent))</td></tr>\n"
        }
        html +=
            "</table><p class=\"note\">Only a regimen started, changed or stopped is a change (a dose taken or an exercise session is not). Up to \(ReportAnalysis.window) days on each side of the day of the change (the day itself left out); fewer than \(ReportAnalysis.minimumDays) days with data: no comparison (–). Responder: the NRS fell by at least \(Int(ReportAnalysis.responderThresholdPercent))%. Spasms: diary and detected, a spasm in both counted once. ⚠: a relapse or flare-up falls inside a window.</p>"
        return html
    }

    static func periodsTable(_ periods: [ShadedPeriod], timeZone: TimeZone) -> String {
        guard !periods.isEmpty else { return "<p class=\"note\">None recorded in this period.</p>" }
        var html = "<table><tr><th>What</th><th>From</th><th>To</th></tr>"
        for p in periods.sorted(by: { $0.start < $1.start }) {
            html +=
                "<tr><td>\(p.label)</td><td class=\"date\">\(localTime(p.start, timeZone))</td><td class=\"date\">\(localTime(p.end, timeZone))</td></tr>"
        }
        return html + "</table>"
    }
}

extension ResourceFiles {
    /// SpasmStore's files (`Shared/Store/Report/Templates`), beside the executable.
    public static let store = ResourceFiles(bundle: "SpasmWatch_SpasmStore")
}
