import Foundation
import SpasmTestSupport
import Testing

/// `DESTDIR=<scratch root> deploy/stack install` with the debug executables (SPASMWATCH_BIN,
/// so nothing is built), without systemd and without a spasmwatch user: the static units of
/// deploy/systemd/, the detector template enabled once per detect.instances, the target, the
/// product's binaries (not spasmwatch-bench) and the home are laid out under the root; a second
/// install with fewer instances drops the extra ones. `systemd-analyze verify` checks the units
/// when the tool is there.
@Suite("deploy/stack install into a scratch root", .serialized)
struct StackScriptInstallProcessTests {
    static let script = TestSupport.repositoryRoot.appendingPathComponent("deploy/stack").path
    static let services = ["spasmwatch-bus", "spasmwatch-store", "spasmwatch-sensor", "spasmwatch-manual", "spasmwatch-notify", "spasmwatch-metrics"]
    let files = FileManager.default

    func install(root: URL, place: URL) async throws -> (Int32, String) {
        let run = try ChildProcess(
            "/bin/bash", [Self.script, "install"], home: place,
            environment: ["DESTDIR": root.path, "SPASMWATCH_BIN": TestSupport.binDirectory.path])
        let status = await run.wait(timeout: 120)
        return (status ?? -1, run.stdout + run.stderr)
    }

    func wanted(_ units: URL) throws -> [String] {
        try files.contentsOfDirectory(atPath: units.appendingPathComponent("spasmwatch.target.wants").path).sorted()
    }

    @Test func laysOutUnitsTemplateTargetAndBinaries() async throws {
        let place = try TestSupport.temporaryHome("stack-install")
        defer { try? files.removeItem(at: place) }
        let root = place.appendingPathComponent("root")
        let home = root.appendingPathComponent("var/lib/spasmwatch")
        let units = root.appendingPathComponent("etc/systemd/system")
        // A home configured for two detectors, and the single detector unit an earlier install wrote.
        try files.createDirectory(at: home, withIntermediateDirectories: true)
        try files.createDirectory(at: units, withIntermediateDirectories: true)
        try #"{"bus": {"groupAccess": true}, "detect": {"instances": 2}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
        try "[Service]\nExecStart=/usr/local/bin/spasmwatch-detect\n"
            .write(to: units.appendingPathComponent("spasmwatch-detect.service"), atomically: false, encoding: .utf8)

        var (status, out) = try await install(root: root, place: place)
        #expect(status == 0, "\(out)")
        #expect(out.contains("no user made"), "\(out)")

        // Binaries: the product only.
        let bin = root.appendingPathComponent("usr/local/bin")
        for name in Self.services + ["spasmwatch-detect", "spasmwatch"] {
            #expect(files.isExecutableFile(atPath: bin.appendingPathComponent(name).path), "\(name)")
        }
        #expect(!files.fileExists(atPath: bin.appendingPathComponent("spasmwatch-bench").path))
        #expect(!files.fileExists(atPath: bin.appendingPathComponent("SpasmWatch_spasmwatch-bench.resources").path))

        // Units: the static files, one per service, the template and the target, hardened.
        for name in Self.services.map({ "\($0).service" }) + ["spasmwatch-detect@.service"] {
            let unit = try String(contentsOf: units.appendingPathComponent(name), encoding: .utf8)
            for line in [
                "ProtectSystem=strict", "NoNewPrivileges=yes", "ReadWritePaths=/var/lib/spasmwatch", "PrivateTmp=yes",
                "RuntimeDirectory=spasmwatch", "RuntimeDirectoryMode=0770", "RuntimeDirectoryPreserve=yes",
                "UMask=0007", "User=spasmwatch", "Group=spasmwatch", "PartOf=spasmwatch.target", "WantedBy=spasmwatch.target",
            ] {
                #expect(unit.contains("\n\(line)\n"), "\(name) lacks \(line)")
            }
        }
        let template = try String(contentsOf: units.appendingPathComponent("spasmwatch-detect@.service"), encoding: .utf8)
        #expect(template.contains("ExecStart=/usr/local/bin/spasmwatch-detect --shard %i/${SPASMWATCH_DETECT_INSTANCES}"))
        let dropIn = try String(contentsOf: units.appendingPathComponent("spasmwatch-detect@.service.d/instances.conf"), encoding: .utf8)
        #expect(dropIn.contains("Environment=SPASMWATCH_DETECT_INSTANCES=2"), "\(dropIn)")
        #expect(files.fileExists(atPath: units.appendingPathComponent("spasmwatch.target").path))
        #expect(
            !files.fileExists(atPath: units.appendingPathComponent("spasmwatch-detect.service").path),
            "the earlier single detector unit is still there: it would run unsharded beside the instances")

        // Enabled: the target pulls in each service and two detector instances; multi-user pulls in the target.
        #expect(
            try wanted(units) == (Self.services.map { "\($0).service" } + ["spasmwatch-detect@0.service", "spasmwatch-detect@1.service"]).sorted())
        #expect(
            try files.destinationOfSymbolicLink(atPath: units.appendingPathComponent("spasmwatch.target.wants/spasmwatch-detect@1.service").path)
                == "../spasmwatch-detect@.service")
        #expect(
            try files.destinationOfSymbolicLink(atPath: units.appendingPathComponent("multi-user.target.wants/spasmwatch.target").path)
                == "../spasmwatch.target")

        // The home: private to the service's user and group, the configuration kept.
        let homeMode = try files.attributesOfItem(atPath: home.path)[.posixPermissions] as? Int
        #expect(homeMode == 0o770)
        #expect(try String(contentsOf: home.appendingPathComponent("config.json"), encoding: .utf8).contains("\"instances\": 2"))

        try verifyWithSystemd(
            root: root,
            units: ["spasmwatch.target", "spasmwatch-detect@0.service", "spasmwatch-detect@1.service"]
                + Self.services.map { "\($0).service" })

        // Fewer instances: the second install drops the extra one.
        try #"{"bus": {"groupAccess": true}, "detect": {"instances": 1}}"#
            .write(to: home.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
        (status, out) = try await install(root: root, place: place)
        #expect(status == 0, "\(out)")
        #expect(try wanted(units) == (Self.services.map { "\($0).service" } + ["spasmwatch-detect@0.service"]).sorted())
        #expect(
            try String(contentsOf: units.appendingPathComponent("spasmwatch-detect@.service.d/instances.conf"), encoding: .utf8)
                .contains("Environment=SPASMWATCH_DETECT_INSTANCES=1"))
    }

    /// The resource bundles go beside the binaries, and an installed copy run from there reads
    /// its own: the installed page is marked, and the marked page is what the installed
    /// spasmwatch-manual serves. Without its bundle it stops with one sentence naming the file.
    @Test func installedCopyFindsItsResourcesBesideIt() async throws {
        let place = try TestSupport.temporaryHome("stack-resources")
        defer { try? files.removeItem(at: place) }
        let root = place.appendingPathComponent("root")
        let (status, out) = try await install(root: root, place: place)
        #expect(status == 0, "\(out)")
        let bin = root.appendingPathComponent("usr/local/bin")
        let pages = bin.appendingPathComponent("SpasmWatch_spasmwatch-manual.resources")
        let phone = pages.appendingPathComponent("Pages/phone.html")
        for file in [
            phone, pages.appendingPathComponent("Pages/wear.html"),
            bin.appendingPathComponent("SpasmWatch_SpasmStore.resources/Templates/report.css"),
        ] {
            let mode = try files.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o644, "\(file.path)")
        }
        let marker = "<!-- the installed copy -->"
        let handle = try FileHandle(forWritingTo: phone)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(marker.utf8))
        try handle.close()

        let home = place.appendingPathComponent("home")
        try files.createDirectory(at: home, withIntermediateDirectories: true)
        let manual = try await ManualProcess.start(home: home, executable: bin.appendingPathComponent("spasmwatch-manual").path)
        let page = try await http("GET", manual.base + "/")
        await manual.process.stop()
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.hasSuffix(marker), "the page did not come from \(phone.path)")
        #expect(html.contains("const OPTIONS = {\"commonSites\":"), "the lists were not filled in")

        try files.removeItem(at: pages)
        let bare = try ChildProcess(bin.appendingPathComponent("spasmwatch-manual").path, ["--set", "manual.httpPort=0"], home: home)
        let exit = await bare.wait(timeout: 30)
        #expect(exit != nil && exit != 0, "\(bare.stderr)")
        #expect(bare.process.terminationReason == .exit, "it crashed instead of saying what is missing: \(bare.stderr)")
        #expect(bare.stderr.contains(".html could not be read: the folder \(pages.path) is missing"), "\(bare.stderr)")
    }

    /// `systemd-analyze verify --root` on the laid-out units: it reads them, the drop-in and the
    /// ExecStart binaries under the root. It needs the system's own units (sysinit.target and
    /// the like) in the root too, so those are linked in. Skipped, saying why, without the tool.
    func verifyWithSystemd(root: URL, units: [String]) throws {
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: files.isExecutableFile(atPath:)),
            files.fileExists(atPath: "/usr/lib/systemd/system/sysinit.target")
        else {
            print("skipped systemd-analyze verify: systemd-analyze or /usr/lib/systemd/system is not installed here")
            return
        }
        let lib = root.appendingPathComponent("usr/lib/systemd")
        try files.createDirectory(at: lib, withIntermediateDirectories: true)
        try files.createSymbolicLink(atPath: lib.appendingPathComponent("system").path, withDestinationPath: "/usr/lib/systemd/system")
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: analyze)
        verify.arguments = ["verify", "--root=\(root.path)"] + units
        let err = Pipe()
        verify.standardError = err
        verify.standardOutput = err
        try verify.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        verify.waitUntilExit()
        // The system's own units may draw remarks (links that resolve only on the host); ours draw none.
        let ours = output.split(separator: "\n").filter { $0.contains("spasmwatch") }
        #expect(verify.terminationStatus == 0, "\(output)")
        #expect(ours.isEmpty, "\(ours.joined(separator: "\n"))")
    }
}
