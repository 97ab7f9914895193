import Foundation

/// The folder of the running spasmwatch-bench, where the services it starts were built beside
/// it: /proc/self/exe, since argv[0] is a bare name when it was found on PATH.
enum BenchBinaries {
    static var directory: URL {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return exe.deletingLastPathComponent()
    }
}
