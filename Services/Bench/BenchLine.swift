import SpasmRuntime

/// One line of `spasmwatch-bench all`'s summary: a figure, the reference measured in the same
/// run, their ratio, and the goal the issue sets for it (if any), checked against that ratio or
/// figure, never against a time. Each benchmark command measures into these lines, prints its
/// own detail and hands the lines back to `all`.
struct BenchLine: Sendable, Equatable {
    /// "Bus", "Ingestion", "End to end", "Storage", "Detection", "Memory".
    var area: String
    /// What was measured, e.g. "200 B envelopes".
    var what: String
    /// The figure, with its unit ("60 k msg/s, 0% lost").
    var figure: String
    /// The reference measured in the same run, named ("raw libzmq C 33 k/s").
    var reference: String
    /// The figure over the reference ("1.81×", "42%"); "-" when there is none.
    var ratio: String
    /// The goal in words ("≥ 50% of raw C"); empty when the line has no goal.
    var goal: String = ""
    /// Whether the goal was met; nil when the line has no goal.
    var met: Bool? = nil

    /// The lines as one aligned table, goals marked `met` or `MISSED`.
    static func render(_ lines: [BenchLine]) -> String {
        var rows: [[String]] = [["AREA", "MEASURED", "FIGURE", "REFERENCE (SAME RUN)", "RATIO", "GOAL"]]
        for line in lines {
            let goal = line.goal.isEmpty ? "" : "\(line.met == true ? "met" : "MISSED"): \(line.goal)"
            rows.append([line.area, line.what, line.figure, line.reference, line.ratio, goal])
        }
        return TextTable.render(rows)
    }
}

/// A benchmark that `spasmwatch-bench all` runs. It measures with sizes that keep the whole suite
/// under 10 minutes on a 2-core machine, prints its own detail as its command does, and returns
/// its summary lines. Adding a part to the suite is adding its type to `all`'s list.
protocol BenchSuitePart {
    /// Runs the part the way `all` runs it and returns its lines for the summary.
    static func runForSuite() async throws -> [BenchLine]
}
