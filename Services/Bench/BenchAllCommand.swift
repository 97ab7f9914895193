import ArgumentParser
import Foundation

/// `spasmwatch-bench all`: every benchmark of the suite in turn, with sizes that keep the whole
/// run under 10 minutes on a 2-core machine, each printing its detail as it goes; then one table
/// of every summary line (figure, same-run reference, ratio, goal) and the machine it ran on.
struct BenchAllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Every benchmark (under 10 minutes), then one table: figures, same-run references, ratios, goals.")

    /// The suite, in the order it runs. Adding a part is adding its type here.
    static var parts: [any BenchSuitePart.Type] {
        [
            SensorBenchCommand.self,
            BenchStoreCommand.self,
            DetectBenchCommand.self,
            BenchMemoryCommand.self,
            BenchBusCommand.self,
            BenchEndToEndCommand.self,
        ]
    }

    func run() async throws {
        let start = BenchMachine.read()
        let t0 = DispatchTime.now().uptimeNanoseconds
        var lines: [BenchLine] = []
        for part in Self.parts {
            let name = (part as? any ParsableCommand.Type)?.configuration.commandName ?? "\(part)"
            let partStart = DispatchTime.now().uptimeNanoseconds
            print("=== spasmwatch-bench \(name) (suite sizes) ===\n")
            do {
                lines += try await part.runForSuite()
            } catch {
                // One part failing does not hide the others' figures: it gets a line saying why.
                print("spasmwatch-bench \(name) failed: \(error)")
                lines.append(BenchLine(area: name, what: "the whole part", figure: "FAILED: \(error)", reference: "-", ratio: "-"))
            }
            print(String(format: "\n(%@: %.0f s)\n", name, Double(DispatchTime.now().uptimeNanoseconds - partStart) / 1e9))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        print("=== Summary ===\n")
        print(BenchLine.render(lines))
        print("")
        print("Machine: " + BenchMachine.describe(start: start, end: BenchMachine.read(), seconds: seconds))
    }
}
