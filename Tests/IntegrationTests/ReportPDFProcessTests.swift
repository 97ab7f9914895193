import Foundation
import SpasmTestSupport
import Testing

/// `spasmwatch report --pdf` against a real bus and store holding the 90-day demo history.
@Suite("Report PDF", .serialized)
struct ReportPDFProcessTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A home with a running bus and store and the demo history in it.
    func seededHome(_ label: String) async throws -> (URL, ChildProcess, ChildProcess) {
        let home = try TestSupport.temporaryHome(label)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let store = try ChildProcess("spasmwatch-store", home: home)
        #expect(await store.waitForOutput("started"))
        let seed = try ChildProcess("spasmwatch", ["seed-demo", "--days", "30"], home: home)
        #expect(await seed.wait(timeout: 120) == 0, "seed-demo: \(seed.stderr)")
        return (home, bus, store)
    }

    @Test(.enabled(if: ReportPDFProcessTests.chromium != nil, "chromium is not installed (deploy/stack test installs it)"))
    func aPDFIsWrittenWithChromium() async throws {
        let (home, bus, store) = try await seededHome("report-pdf")
        defer { try? FileManager.default.removeItem(at: home) }
        let path = "/usr/bin:/bin:/usr/local/bin"
        let report = try ChildProcess("spasmwatch", ["report", "--pdf", "--out", "report.html"], home: home, environment: ["PATH": path])
        #expect(await report.wait(timeout: 180) == 0, "report --pdf: \(report.stderr)")
        #expect(report.stdout.contains("wrote report.pdf (A4)"))
        let pdf = try Data(contentsOf: home.appendingPathComponent("report.pdf"))
        #expect(pdf.starts(with: Data("%PDF".utf8)), "a PDF file")
        #expect(pdf.count > 10_000, "with the report in it")
        await store.stop()
        await bus.stop()
    }

    @Test func withoutChromiumItSaysHowToPrintTheHTML() async throws {
        let (home, bus, store) = try await seededHome("report-nopdf")
        defer { try? FileManager.default.removeItem(at: home) }
        let empty = home.appendingPathComponent("empty-bin")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let report = try ChildProcess("spasmwatch", ["report", "--pdf", "--out", "report.html"], home: home, environment: ["PATH": empty.path])
        #expect(await report.wait(timeout: 60) == 1, "no PDF made: a failure status")
        #expect(report.stderr.contains("no PDF: Chromium is not installed (apt-get install chromium, then run this again)"))
        #expect(report.stderr.contains("open report.html in a web browser, choose Print (Ctrl+P), paper A4, and \"Save as PDF\""))
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("report.html").path), "the HTML is still written")
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("report.pdf").path))
        await store.stop()
        await bus.stop()
    }
}
