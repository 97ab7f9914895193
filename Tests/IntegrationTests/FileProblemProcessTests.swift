import Foundation
import GRDB
import SpasmTestSupport
import Testing

/// A file or folder a person names on the command line that is not there or cannot be read:
/// the real executables say so in a sentence that names the path and what to do, with a
/// non-zero exit, never Foundation's "The file “x” couldn’t be opened" (issue 18 §10).
@Suite("File problems on the command line", .serialized)
struct FileProblemProcessTests {
    /// What Foundation's own errors read like; none of it may reach a person.
    static let foundationText = ["couldn’t", "couldn't", "NSCocoaErrorDomain", "Error Domain=", "The file “", "The operation could not be completed"]

    static func run(_ executable: String, _ arguments: [String], home: URL) async throws -> ChildProcess {
        let child = try ChildProcess(executable, arguments, home: home)
        #expect(await child.wait(timeout: 60) != nil, "\(executable) \(arguments.joined(separator: " ")) ended")
        return child
    }

    /// A non-zero exit and a sentence on stderr with each of `phrases`, and no Foundation text.
    static func expectSentence(_ child: ChildProcess, _ phrases: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let what = "\(child.name): stderr \(child.stderr) stdout \(child.stdout)"
        #expect(child.process.terminationStatus != 0, "\(what)", sourceLocation: sourceLocation)
        for phrase in phrases { #expect(child.stderr.contains(phrase), "'\(phrase)' in \(what)", sourceLocation: sourceLocation) }
        for text in foundationText {
            #expect(!(child.stderr + child.stdout).contains(text), "no Foundation text '\(text)' in \(what)", sourceLocation: sourceLocation)
        }
    }

    static let recordingHint = "give the path of a recording"

    @Test func replayOfAMissingFileNamesItAndSaysWhatToGive() async throws {
        let home = try TestSupport.temporaryHome("file-replay")
        defer { try? FileManager.default.removeItem(at: home) }
        let replay = try await Self.run("spasmwatch-sensor", ["replay", "/no/such.csv"], home: home)
        Self.expectSentence(replay, ["no file at /no/such.csv", Self.recordingHint, "t,ax,ay,az", "t,emg"])
    }

    @Test func scanOfAMissingFileNamesItAndSaysWhatToGive() async throws {
        let home = try TestSupport.temporaryHome("file-scan")
        defer { try? FileManager.default.removeItem(at: home) }
        let scan = try await Self.run("spasmwatch-detect", ["scan", "/no/such.csv"], home: home)
        Self.expectSentence(scan, ["no file at /no/such.csv", Self.recordingHint])
    }

    @Test func checkOfAMissingFrameOrBinaryFileNamesIt() async throws {
        let home = try TestSupport.temporaryHome("file-check")
        defer { try? FileManager.default.removeItem(at: home) }
        let check = try await Self.run("spasmwatch-sensor", ["check", "/no/such.json"], home: home)
        Self.expectSentence(check, ["no file at /no/such.json", "give the path of a frame's JSON file", "docs/plug-in-a-sensor.md"])

        let frame = home.appendingPathComponent("frame.json")
        try Data(#"{"v":1}"#.utf8).write(to: frame)
        let binary = try await Self.run("spasmwatch-sensor", ["check", frame.path, "--binary", "/no/such.bin"], home: home)
        Self.expectSentence(binary, ["no file at /no/such.bin", "Float32"])
    }

    @Test func reportIntoAMissingFolderNamesTheFolder() async throws {
        let home = try TestSupport.temporaryHome("file-report")
        defer { try? FileManager.default.removeItem(at: home) }
        let report = try await Self.run("spasmwatch", ["report", "--out", "/no/such/dir/x.html"], home: home)
        Self.expectSentence(report, ["spasmwatch: no folder /no/such/dir", "mkdir -p /no/such/dir"])
    }

    @Test func backupIntoAMissingFolderNamesTheFolder() async throws {
        let home = try TestSupport.temporaryHome("file-backup")
        defer { try? FileManager.default.removeItem(at: home) }
        // A database to copy, as spasmwatch-store leaves one.
        let data = home.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let database = try DatabaseQueue(path: data.appendingPathComponent("spasmwatch.sqlite").path)
        try await database.write { try $0.execute(sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1)") }
        try database.close()

        let backup = try await Self.run("spasmwatch", ["backup", "/no/such/dir/copy.sqlite"], home: home)
        Self.expectSentence(backup, ["spasmwatch: no folder /no/such/dir", "mkdir -p /no/such/dir"])
        #expect(!FileManager.default.fileExists(atPath: "/no/such/dir"), "no folder was made silently")
    }

    @Test func exportIntoAMissingFolderNamesTheFolder() async throws {
        let home = try TestSupport.temporaryHome("file-export")
        defer { try? FileManager.default.removeItem(at: home) }
        let export = try await Self.run("spasmwatch", ["export", "--format", "csv", "--out", "/no/such/dir/x.csv"], home: home)
        Self.expectSentence(export, ["spasmwatch: no folder /no/such/dir", "mkdir -p /no/such/dir"])
        #expect(!FileManager.default.fileExists(atPath: "/no/such/dir"), "no folder was made silently")
    }

    /// `eval DIR` of a folder without a labelled set's manifest, or with one that is not JSON.
    @Test func evalOfAFolderWithoutAManifestNamesItAndSaysWhatToGive() async throws {
        let home = try TestSupport.temporaryHome("file-eval")
        defer { try? FileManager.default.removeItem(at: home) }
        let eval = try await Self.run("spasmwatch-detect", ["eval", "/no/such/set"], home: home)
        Self.expectSentence(eval, ["no file at /no/such/set/manifest.json", "give the path of a labelled set", "../shared/eval/dev"])

        let set = home.appendingPathComponent("set")
        try FileManager.default.createDirectory(at: set, withIntermediateDirectories: true)
        try Data("name,phone\n".utf8).write(to: set.appendingPathComponent("manifest.json"))
        let garbled = try await Self.run("spasmwatch-detect", ["eval", set.path], home: home)
        Self.expectSentence(garbled, ["\(set.path)/manifest.json is not a labelled set's manifest", #"{"recordings": ["#])
    }

    /// `eval DIR --out FOLDER` into a folder that is not there: the sentence, and no folder
    /// made (before, it was made silently, and one that could not be made gave Foundation's words).
    @Test func evalIntoAMissingFolderNamesTheFolder() async throws {
        let home = try TestSupport.temporaryHome("file-eval-out")
        defer { try? FileManager.default.removeItem(at: home) }
        let out = home.appendingPathComponent("no-such-folder").path
        let eval = try await Self.run("spasmwatch-detect", ["eval", "/no/such/set", "--out", out], home: home)
        Self.expectSentence(eval, ["no folder \(out) to write", "mkdir -p \(out)"])
        #expect(!FileManager.default.fileExists(atPath: out), "no folder is made")
        let file = home.appendingPathComponent("a-file")
        try Data().write(to: file)
        let intoAFile = try await Self.run(
            "spasmwatch-detect", ["eval", "/no/such/set", "--out", file.appendingPathComponent("out").path], home: home)
        Self.expectSentence(intoAFile, ["no folder \(file.path)/out to write"])
    }

    /// A recording this user may not read: mode 000, run as `nobody` when the tests run as root
    /// (root reads any file).
    @Test func replayOfAFileThatCannotBeReadSaysWhy() async throws {
        let home = try TestSupport.temporaryHome("file-denied")
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("locked.csv")
        try Data("t,emg\n0,0.1\n0.001,0.2\n".utf8).write(to: file)
        chmod(file.path, 0)
        let replay: ChildProcess
        if getuid() == 0 {
            let ownHome = try TestSupport.temporaryHome("file-denied-nobody")
            defer { try? FileManager.default.removeItem(at: ownHome) }
            let nobody = try #require(getpwnam("nobody"))
            chown(ownHome.path, nobody.pointee.pw_uid, nobody.pointee.pw_gid)
            chmod(ownHome.path, 0o700)
            // The build folder is 0700 on a fresh clone (umask 077): nobody runs a copy, in a
            // folder it may enter, of the same executable.
            let binFolder = try TestSupport.temporaryHome("file-denied-bin")
            defer { try? FileManager.default.removeItem(at: binFolder) }
            chmod(binFolder.path, 0o755)
            let sensor = binFolder.appendingPathComponent("spasmwatch-sensor")
            try FileManager.default.copyItem(at: TestSupport.executable("spasmwatch-sensor"), to: sensor)
            chmod(sensor.path, 0o755)
            replay = try await Self.run(
                "/usr/sbin/runuser", ["-u", "nobody", "--", sensor.path, "replay", file.path], home: ownHome)
        } else {
            replay = try await Self.run("spasmwatch-sensor", ["replay", file.path], home: home)
        }
        Self.expectSentence(replay, ["cannot read \(file.path)", "permission denied"])
    }

    @Test func replayOfACSVThatIsNotARecordingNamesItAndTheHeaderItNeeds() async throws {
        let home = try TestSupport.temporaryHome("file-header")
        defer { try? FileManager.default.removeItem(at: home) }
        let wrongHeader = home.appendingPathComponent("contacts.csv")
        try Data("name,phone\nAnna,0123\n".utf8).write(to: wrongHeader)
        let replay = try await Self.run("spasmwatch-sensor", ["replay", wrongHeader.path], home: home)
        Self.expectSentence(replay, ["\(wrongHeader.path) is not a recording", "'name,phone'", "t,ax,ay,az", "t,emg"])

        let garbage = home.appendingPathComponent("noise.csv")
        var bytes = [UInt8](repeating: 0, count: 4096)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        try Data(bytes).write(to: garbage)
        let noise = try await Self.run("spasmwatch-sensor", ["replay", garbage.path], home: home)
        Self.expectSentence(noise, ["\(garbage.path) is not a recording", "t,ax,ay,az"])
        #expect(noise.stderr.count < 1000, "the garbage is not echoed whole: \(noise.stderr.count) characters")

        let scan = try await Self.run("spasmwatch-detect", ["scan", wrongHeader.path], home: home)
        Self.expectSentence(scan, ["\(wrongHeader.path) is not a recording"])
    }
}
