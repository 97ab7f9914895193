import ArgumentParser
import Foundation
import SpasmRuntime

/// `spasmwatch report --pdf`: prints the HTML report to an A4 PDF in headless Chromium, when
/// it is installed; otherwise says how to print the HTML by hand.
enum ReportPDF {
    static let browsers = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    /// A stuck browser is stopped after this many seconds.
    static let timeoutSeconds = 120.0

    /// The first browser found on `PATH`.
    static func browser(path: String? = ProcessInfo.processInfo.environment["PATH"]) -> URL? {
        let folders = (path ?? "").split(separator: ":").map(String.init)
        for name in browsers {
            for folder in folders {
                let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        return nil
    }

    /// "report.html" → "report.pdf"; any other name gets ".pdf" added.
    static func pdfPath(for html: String) -> String {
        html.lowercased().hasSuffix(".html") ? String(html.dropLast(5)) + ".pdf" : html + ".pdf"
    }

    static func howToPrint(_ html: String) -> String {
        "no PDF: Chromium is not installed (apt-get install chromium, then run this again). To make the PDF by hand: "
            + "open \(html) in a web browser, choose Print (Ctrl+P), paper A4, and \"Save as PDF\"."
    }

    /// Prints `html` to `pdf`; throws a sentence when Chromium fails.
    static func render(html: String, to pdf: String, browser: URL) async throws {
        let htmlURL = URL(fileURLWithPath: html).standardizedFileURL
        let pdfURL = URL(fileURLWithPath: pdf).standardizedFileURL
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("spasmwatch-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: profile) }
        let log = profile.appendingPathComponent("chromium.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        var arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-pdf-header-footer", "--user-data-dir=\(profile.path)",
            "--print-to-pdf=\(pdfURL.path)", htmlURL.absoluteString,
        ]
        if getuid() == 0 { arguments.insert("--no-sandbox", at: 0) }  // Chromium refuses to run as root with its sandbox.
        try? FileManager.default.removeItem(at: pdfURL)
        let process = Process()
        process.executableURL = browser
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let finished = await onBlockingPool { () -> Bool in
            let deadline = Date().addingTimeInterval(timeoutSeconds)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
                return false
            }
            return true
        }
        let head = (try? FileHandle(forReadingFrom: pdfURL)).flatMap { try? $0.read(upToCount: 4) }
        guard finished, process.terminationStatus == 0, head == Data("%PDF".utf8) else {
            let detail = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: " / ") ?? ""
            throw ValidationError(
                "\(browser.lastPathComponent) did not write \(pdf)"
                    + (finished ? " (exit status \(process.terminationStatus))" : " within \(Int(timeoutSeconds)) s")
                    + (detail.isEmpty ? "" : ": \(detail)") + ". The HTML is in \(html); print it from a browser (Ctrl+P, A4, Save as PDF).")
        }
    }
}
