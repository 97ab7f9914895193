import Testing

@testable import spasmwatch_bench

/// The pure parts of `spasmwatch-bench all`: the summary table and the machine description.
@Suite struct BenchSummaryTests {
    @Test func renderMarksEachGoalMetOrMissedAndLeavesLinesWithoutGoalUnmarked() {
        let lines = [
            BenchLine(area: "Storage", what: "frames", figure: "120 k/s", reference: "raw 200 k/s", ratio: "60%", goal: "≥ 100 k/s", met: true),
            BenchLine(area: "Memory", what: "store", figure: "60 MB", reference: "C sub 10 MB", ratio: "6.0×", goal: "≤ 50 MB", met: false),
            BenchLine(area: "Ingestion", what: "JSON", figure: "20 k/s", reference: "bare 40 k/s", ratio: "50%"),
        ]
        let rows = BenchLine.render(lines).split(separator: "\n").map(String.init)
        #expect(rows.count == 4)
        #expect(rows[0].hasPrefix("AREA"))
        #expect(rows[1].contains("met: ≥ 100 k/s"))
        #expect(rows[2].contains("MISSED: ≤ 50 MB"))
        #expect(!rows[3].contains("met") && !rows[3].contains("MISSED"))
        #expect(rows[3].contains("bare 40 k/s"))
    }

    @Test func machineParsesCoresModelAndLoad() {
        let cpuinfo = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            model name\t: AMD EPYC 7B13
            flags\t\t: fpu vme

            processor\t: 1
            model name\t: AMD EPYC 7B13

            """
        let machine = BenchMachine.parse(cpuinfo: cpuinfo, loadavg: "2.29 2.21 2.16 4/141 29745\n")
        #expect(machine == BenchMachine(cores: 2, model: "AMD EPYC 7B13", load: 2.29))
    }

    @Test func machineWithoutModelOrLoadSaysSo() {
        let machine = BenchMachine.parse(cpuinfo: "processor\t: 0\nBogoMIPS\t: 50.00\n", loadavg: "")
        #expect(machine == BenchMachine(cores: 1, model: "unknown CPU", load: nil))
        let text = BenchMachine.describe(start: machine, end: machine, seconds: 221.4)
        #expect(text.hasPrefix("1 core, unknown CPU; load unknown at the start, unknown at the end;"))
        #expect(text.hasSuffix("3 min 41 s"))
    }
}
