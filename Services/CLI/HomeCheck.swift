import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime

/// Before a command runs: which data home it uses, and whether SpasmWatch runs there.
///
/// - An explicit home (`$SPASMWATCH_HOME` or `--home`) that does not exist is created, and
///   the command says so.
/// - Otherwise (the installed `/var/lib/spasmwatch`, else the per-user default) the command
///   says which home it uses; when that home does not exist, it stops and says how to start
///   one: no command creates a home silently, so an entry never lands in a folder nobody reads.
/// - When nothing runs on the home (no bus), the command says so and how to start it.
///
/// Messages go to stderr, so `--json` output and scripts are not disturbed.
enum HomeCheck {
    /// The common options of a parsed command, when it has them (`config get` has its own
    /// --home: it only reads). Found by reflection so that every command, present or future, is
    /// checked the same way without registering anywhere.
    static func options(of command: any ParsableCommand) -> CommonOptions? {
        for child in Mirror(reflecting: command).children {
            if let group = child.value as? OptionGroup<CommonOptions> { return group.wrappedValue }
        }
        return nil
    }

    static func run(before command: any ParsableCommand) throws {
        guard let options = options(of: command) else { return }
        try check(options, reportsRunning: command is ReportsWhetherRunning)
    }

    static func check(_ options: CommonOptions, reportsRunning: Bool) throws {
        let located = options.locateHome()
        let path = located.home.root.path
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw ValidationError("the data home \(path) (\(located.origin.description)) is a file, not a folder")
        }
        let (home, configuration) = try options.load()
        if !exists {
            guard located.origin.isExplicit else {
                say("no SpasmWatch home at \(path) (\(located.origin.description)), so none is running; nothing was written.")
                say("Start one with \(startCommand(home)), or name yours with --home DIR or SPASMWATCH_HOME=DIR.")
                throw ExitCode(2)
            }
            do {
                try home.prepare(groupAccess: configuration.bus.groupAccess)
            } catch {
                throw ValidationError("cannot create the data home \(path): \(error.localizedDescription)")
            }
            say("created home \(path) (\(located.origin.description))")
        } else if !located.origin.isExplicit {
            say("home \(path) (\(located.origin.description); --home or SPASMWATCH_HOME chooses another)")
        }
        do {
            try home.checkRunDirectoryForClient(configuration.bus)
        } catch let error as SpasmError where error.code == .runDirectory {
            throw ValidationError(error.description)
        }
        if !reportsRunning, BusState.of(home, configuration: configuration) == .notRunning {
            say(notRunning(home))
        }
    }

    /// "nothing is running on home …: start it with …".
    static func notRunning(_ home: DataHome) -> String {
        "SpasmWatch is not running on home \(home.root.path) (no bus). Start it with: \(startCommand(home))"
    }

    /// How to start a home: systemd for the installed one, deploy/stack for the others.
    static func startCommand(_ home: DataHome) -> String {
        if home.root.path == DataHome.installedPath { return "sudo systemctl start 'spasmwatch-*'" }
        if home == DataHome.perUser() { return "deploy/stack up" }
        return "SPASMWATCH_HOME=\(home.root.path) deploy/stack up"
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data("spasmwatch: \(line)\n".utf8))
    }
}

/// Commands that tell for themselves whether the services run (status, notify test): the
/// home check does not add its own line.
protocol ReportsWhetherRunning {}

/// Whether a home's bus runs, read without touching it: the pid the bus keeps in
/// `run/bus.lock` (never locked here, so a starting bus is never refused its lock).
enum BusState: Equatable {
    case running, notRunning, unknown

    static func of(_ home: DataHome, configuration: Configuration) -> BusState {
        let lock = home.runDirectory(configuration.bus).appendingPathComponent("bus.lock").path
        let socket = home.runDirectory(configuration.bus).appendingPathComponent("bus-out.sock").path
        guard FileManager.default.fileExists(atPath: lock) else {
            // A tcp bus may run on another machine; an ipc bus always has its lock here.
            return configuration.bus.transport == .tcp ? .unknown : .notRunning
        }
        guard let text = try? String(contentsOfFile: lock, encoding: .utf8) else {
            // Not readable (another user's home, e.g. the installed one): the socket tells.
            return FileManager.default.fileExists(atPath: socket) ? .running : .notRunning
        }
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return .unknown }
        guard kill(pid, 0) == 0 || errno == EPERM else { return .notRunning }
        // A pid can be reused after a crash: on Linux, check it is a bus.
        if let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) {
            return name.hasPrefix("spasmwatch-bus") ? .running : .notRunning
        }
        return .running
    }
}
