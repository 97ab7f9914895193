import Foundation

/// Small inline-SVG charts for the report: no scripts, no external files, print-safe.
struct SVGChart {
    let width = 720.0
    let height: Double
    let left = 40.0, right = 12.0, top = 10.0, bottom = 26.0
    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }
    private(set) var parts: [String] = []

    init(height: Double = 220) { self.height = height }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    mutating func add(_ element: String) { parts.append(element) }

    mutating func rect(x: Double, y: Double, w: Double, h: Double, fill: String, title: String? = nil, opacity: Double = 1) {
        let t = title.map { "<title>\(Self.escape($0))</title>" } ?? ""
        add("<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(max(w, 0)))\" height=\"\(Self.f(max(h, 0)))\" fill=\"\(fill)\"\(opacity < 1 ? " fill-opacity=\"\(opacity)\"" : "")>\(t)</rect>")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, dash: Bool = false, width: Double = 1) {
        add("<line x1=\"\(Self.f(x1))\" y1=\"\(Self.f(y1))\" x2=\"\(Self.f(x2))\" y2=\"\(Self.f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(width)\"\(dash ? " stroke-dasharray=\"4 3\"" : "")/>")
    }

    mutating func text(_ x: Double, _ y: Double, _ string: String, anchor: String = "middle", size: Double = 10, fill: String = "#333") {
        add("<text x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(Self.escape(string))</text>")
    }

    /// Horizontal grid lines and y labels from 0 to `maximum`.
    mutating func yAxis(maximum: Double, steps: Int = 4, label: String) {
        for s in 0...steps {
            let value = maximum * Double(s) / Double(steps)
            let y = top + plotHeight - plotHeight * Double(s) / Double(steps)
            line(left, y, left + plotWidth, y, stroke: "#e3e3e3")
            text(left - 4, y + 3, value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value), anchor: "end", size: 9)
        }
        add("<text x=\"10\" y=\"\(Self.f(top + plotHeight / 2))\" font-size=\"9\" text-anchor=\"middle\" fill=\"#555\" transform=\"rotate(-90 10 \(Self.f(top + plotHeight / 2)))\">\(Self.escape(label))</text>")
    }

    func render(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Self.escape(label))\">"
            + parts.joined() + "</svg>"
    }

    /// A "nice" axis maximum at or above `value`.
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
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
        let start = days.bounds[i], end = days.bounds[i + 1]
        return x(day: i) + dayWidth * (time - start) / max(end - start, 1)
    }

    /// Day labels (every few days) along the bottom.
    func labels(into chart: inout SVGChart) {
        let every = max(1, Int((Double(days.count) / 10).rounded(.up)))
        for i in stride(from: 0, to: days.count, by: every) {
            let label = String(days.labels[i].dropFirst(5))  // "11-25"
            chart.text(x(day: i) + dayWidth / 2, chart.top + chart.plotHeight + 14, label, size: 9)
        }
    }

    /// Shaded relapses and flare-ups, and numbered dashed markers for treatment changes.
    func context(into chart: inout SVGChart, periods: [ShadedPeriod], changes: [TreatmentChange]) {
        let (first, last) = (days.bounds.first ?? 0, days.bounds.last ?? 0)
        for p in periods {
            let start = max(p.start, first), end = min(p.end, last - 0.001)
            guard start < end, let x1 = x(time: start), let x2 = x(time: end) else { continue }
            chart.rect(x: x1, y: chart.top, w: max(x2 - x1, 2), h: chart.plotHeight,
                       fill: p.label == "relapse" ? "#f4c7c3" : "#fde9b8", title: p.label, opacity: 0.6)
        }
        for (n, c) in changes.enumerated() {
            guard let x = x(time: c.at) else { continue }
            let color = c.kind == .exercise ? "#2e7d32" : (c.kind == .supplement ? "#8e24aa" : "#1565c0")
            chart.line(x, chart.top, x, chart.top + chart.plotHeight, stroke: color, dash: true, width: 1.2)
            chart.text(x + 2, chart.top + 9, "\(n + 1)", anchor: "start", size: 9, fill: color)
        }
    }
}
