import Foundation
import SpasmConfig
import Testing

/// `ConfigurationLoader.value(of:in:)`, what `spasmwatch config get` prints: the effective
/// value after defaults, the config file, SPASMWATCH_* variables and --set, as text.
@Suite("Configuration values by key")
struct ConfigurationValueTests {
    func home(config: String) throws -> DataHome {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sw-config-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try config.write(to: root.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
        return DataHome(root: root)
    }

    @Test func defaultsPrintAsJSONWritesThem() throws {
        let defaults = Configuration()
        #expect(try ConfigurationLoader.value(of: "detect.instances", in: defaults) == "1")
        #expect(try ConfigurationLoader.value(of: "bus.groupAccess", in: defaults) == "false")
        #expect(try ConfigurationLoader.value(of: "bus.highWaterMark", in: defaults) == "200000")
        #expect(try ConfigurationLoader.value(of: "manual.httpToken", in: defaults) == "")
        #expect(try ConfigurationLoader.value(of: "expectedServices", in: defaults) == ServiceName.all.joined(separator: ","))
    }

    @Test func fileThenEnvironmentThenSetEachWin() throws {
        let home = try home(config: #"{"detect": {"instances": 3}, "manual": {"httpToken": "from-file"}, "bus": {"groupAccess": true}}"#)
        defer { try? FileManager.default.removeItem(at: home.root) }
        var loaded = try ConfigurationLoader.load(home: home, environment: [:])
        #expect(try ConfigurationLoader.value(of: "detect.instances", in: loaded) == "3")
        #expect(try ConfigurationLoader.value(of: "manual.httpToken", in: loaded) == "from-file")
        #expect(try ConfigurationLoader.value(of: "bus.groupAccess", in: loaded) == "true")

        loaded = try ConfigurationLoader.load(home: home, environment: ["SPASMWATCH_DETECT_INSTANCES": "4"])
        #expect(try ConfigurationLoader.value(of: "detect.instances", in: loaded) == "4")

        loaded = try ConfigurationLoader.load(
            home: home, environment: ["SPASMWATCH_DETECT_INSTANCES": "4"],
            overrides: ["detect.instances=5"])
        #expect(try ConfigurationLoader.value(of: "detect.instances", in: loaded) == "5")
    }

    @Test func anUnknownKeyOrASectionNamesTheKnownKeys() throws {
        for key in ["detect.instnces", "detect", "", "detect.instances.more"] {
            do {
                _ = try ConfigurationLoader.value(of: key, in: Configuration())
                Issue.record("'\(key)' was accepted")
            } catch {
                #expect(error.description.contains("unknown setting '\(key)'"), "\(error)")
                #expect(error.description.contains("detect.instances"), "\(error)")
                #expect(error.description.contains("bus.highWaterMark"), "\(error)")
            }
        }
    }

    @Test func knownKeysAreEveryLeafSorted() {
        let keys = ConfigurationLoader.knownKeys
        #expect(keys == keys.sorted())
        #expect(keys.contains("detect.instances"))
        #expect(keys.contains("manual.httpToken"))
        #expect(!keys.contains("detect"))
        for key in keys { #expect((try? ConfigurationLoader.value(of: key, in: Configuration())) != nil, "\(key)") }
    }
}
