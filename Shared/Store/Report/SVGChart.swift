import Foundation

/// Small inline-SVG charts for the report: no scripts, no external files, print-safe.
struct SVGChart {
    let width = 720.0
    let height: Double
    let left = 40.0, right = 12.0, bottom = 26.0
    /// Room above the plot (change markers' numbers go there, clear of the data).
    let top: Double
    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }
    private(set) var parts: [String] = []

    init(height: Double = 220, top: Double = 10) {
        self.height = height
        self.top = top
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    mutating func add(_ element: String) { parts.append(element) }

    mutating func rect(x: Double, y: Double, w: Double, h: Double, fill: String, title: String? = nil, opacity: Double = 1) {
        let t = title.map { "<title>\(Self.escape($0))</title>" } ?? ""
        add(
            "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(max(w, 0)))\" height=\"\(Self.f(max(h, 0)))\" fill=\"\(fill)\"\(opacity < 1 ? " fill-opacity=\"\(opacity)\"" : "")>\(t)</rect>"
        )
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, dash: Bool = false, width: Double = 1) {
        add(
            "<line x1=\"\(Self.f(x1))\" y1=\"\(Self.f(y1))\" x2=\"\(Self.f(x2))\" y2=\"\(Self.f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(width)\"\(dash ? " stroke-dasharray=\"4 3\"" : "")/>"
        )
    }

    mutating func text(_ x: Double, _ y: Double, _ string: String, anchor: String = "middle", size: Double = 10, fill: String = "#333") {
        add(
            "<text x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(Self.escape(string))</text>"
        )
    }

    /// Horizontal grid lines and y labels from `minimum` to `maximum`.
    mutating func yAxis(minimum: Double = 0, maximum: Double, steps: Int = 4, label: String) {
        for s in 0...steps {
            let value = minimum + (maximum - minimum) * Double(s) / Double(steps)
            let y = top + plotHeight - plotHeight * Double(s) / Double(steps)
            line(left, y, left + plotWidth, y, stroke: "#e3e3e3")
            text(left - 4, y + 3, value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value), anchor: "end", size: 9)
        }
        add(
            "<text x=\"10\" y=\"\(Self.f(top + plotHeight / 2))\" font-size=\"9\" text-anchor=\"middle\" fill=\"#555\" transform=\"rotate(-90 10 \(Self.f(top + plotHeight / 2)))\">\(Self.escape(label))</text>"
        )
    }

    func render(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Self.escape(label))\">"
            + parts.joined() + "</svg>"
    }

    /// Round ticks from 0 covering `value`: a step of 1, 2 or 5 × 10ⁿ and at most 5 steps
    /// (25 → 0, 5 … 25; 13 → 0, 5, 10, 15).
    static func niceTicks(_ value: Double) -> (maximum: Double, steps: Int) {
        guard value > 0 else { return (1, 1) }
        var magnitude = pow(10, floor(log10(value)) - 1)
        if magnitude < 1 { magnitude = 1 }
        while true {
            for step in [1.0, 2, 5] {
                let n = (value / (step * magnitude)).rounded(.up)
                if n <= 5 { return (step * magnitude * max(n, 1), Int(max(n, 1))) }
            }
            magnitude *= 10
        }
    }
}

/// A time axis of local days: x position of a day index or an instant.
struct DayAxis {
    let days: LocalDays
    let chart: SVGChart

    var dayWidth: Double { chart.plotWidth / Double(max(days.count, 1)) }

    func x(day: Int) -> Double { chart.left + Double(day) * dayWidth }

    /// x of an instant (fractional day).
    func x(time: Double) -> Double? {
        guard let i = days.index(of: time) else { return nil }
        let start = days.bounds[i]
        let end = days.bounds[i + 1]
        return x(day: i) + dayWidth * (time - start) / max(end - start, 1)
    }

    /// The first day of each week (`week` days from the period's first) along the bottom, "1 Sep".
    func labels(into chart: inout SVGChart, week: Int = 7) {
        let every = days.count <= 14 ? 1 : week
        for i in stride(from: 0, to: days.count, by: every) {
            chart.text(
                x(day: i) + (every == 1 ? dayWidth / 2 : 0), chart.top + chart.plotHeight + 14, Self.shortDate(days.labels[i]),
                anchor: every == 1 ? "middle" : "start", size: 9)
        }
    }

    /// "2026-09-01" → "1 Sep".
    static func shortDate(_ label: String) -> String {
        let parts = label.split(separator: "-")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 3, let m = Int(parts[1]), (1...12).contains(m), let d = Int(parts[2]) else { return label }
        return "\(d) \(months[m - 1])"
    }

    /// Shaded relapses and flare-ups, and numbered dashed markers for treatment changes:
    /// markers closer than a label's width share one label ("1, 2") above the plot.
    func context(into chart: inout SVGChart, periods: [ShadedPeriod], changes: [TreatmentChange]) {
        let (first, last) = (days.bounds.first ?? 0, days.bounds.last ?? 0)
        for p in periods {
            let start = max(p.start, first)
            let end = min(p.end, last - 0.001)
            guard start < end, let x1 = x(time: start), let x2 = x(time: end) else { continue }
            chart.rect(
                x: x1, y: chart.top, w: max(x2 - x1, 2), h: chart.plotHeight,
                fill: p.label == "relapse" ? "#f4c7c3" : "#fde9b8", title: p.label, opacity: 0.6)
        }
        var groups: [(x: Double, numbers: [Int])] = []
        for (n, c) in changes.enumerated() {
            guard let x = x(time: c.at) else { continue }
            chart.line(x, chart.top, x, chart.top + chart.plotHeight, stroke: c.kind == .supplement ? "#8e24aa" : "#1565c0", dash: true, width: 1.2)
            if let lastGroup = groups.last, x - lastGroup.x < 8 + 10 * Double(lastGroup.numbers.count) {
                groups[groups.count - 1].numbers.append(n + 1)
            } else {
                groups.append((x, [n + 1]))
            }
        }
        for g in groups {
            chart.text(g.x, chart.top - 3, g.numbers.map(String.init).joined(separator: ", "), size: 9, fill: "#1565c0")
        }
    }
}
