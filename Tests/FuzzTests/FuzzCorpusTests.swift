import Foundation
import SpasmDiaryRules
import SpasmErrors
import SpasmFuzzChecks
import SpasmIngestion
import SpasmSchema
import Testing

/// Every input in Tests/Fuzz/<target>/ (the seeds, and each crash or hang the fuzzer found,
/// kept as `crash-…`/`timeout-…`) goes through the same checks as deploy/dev/fuzz.sh runs:
/// no crash, and no broken property (a refusal names its field, FlatJSON agrees with the
/// reference readers, an accepted entry reads back the same).
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ target: String) throws -> [(name: String, data: Data)] {
        let folder = root.appendingPathComponent(target)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map {
            ($0, try Data(contentsOf: folder.appendingPathComponent($0)))
        }
    }

    @Test(arguments: FuzzChecks.targets)
    func everyInputPassesItsTargetsChecks(_ target: String) throws {
        let inputs = try Self.inputs(target)
        #expect(inputs.count >= 10, "Tests/Fuzz/\(target)/ lost its seeds")
        for input in inputs {
            let problems = FuzzChecks.problems(target: target, input: input.data)
            #expect(problems.isEmpty, "Tests/Fuzz/\(target)/\(input.name): \(problems)")
        }
    }

    /// Seeds named seed-bad-… are refused, the other seeds accepted.
    @Test func seedsAreAcceptedOrRefusedAsNamed() throws {
        for input in try Self.inputs("frame") where input.name.hasPrefix("seed-") {
            let accepted = (try? FuzzChecks.frame(input.data).outcome.get()) != nil
            #expect(accepted == !input.name.hasPrefix("seed-bad-"), "frame/\(input.name)")
        }
        for input in try Self.inputs("diary") where input.name.hasPrefix("seed-") {
            let accepted = (try? FuzzChecks.diary(input.data).outcome.get()) != nil
            #expect(accepted == !input.name.hasPrefix("seed-bad-"), "diary/\(input.name)")
        }
    }

    static func finding(_ target: String, _ prefix: String) throws -> Data {
        let input = try #require(try inputs(target).first { $0.name.hasPrefix(prefix) }, "Tests/Fuzz/\(target)/\(prefix)… is missing")
        return input.data
    }

    /// recordedAt 1.76e34 trapped converting minutes-in-the-future to Int (a crash of the
    /// manual service from one POST /api/entries); now refused, naming the field.
    @Test func aTimeFarInTheFutureIsRefusedNotACrash() throws {
        let outcome = FuzzChecks.diary(try Self.finding("diary", "crash-0fa06d27")).outcome
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "recordedAt",
                "recordedAt 1.7640721844674407e+34 is after 2100-01-01; give Unix seconds (UTC)")
        ) {
            try outcome.get()
        }
    }

    /// 1e309 outside any object (malformed text) gave "field '' is -1e309"; now the body is
    /// named as not JSON.
    @Test func aNonFiniteNumberOutsideAnyObjectNamesTheBody() throws {
        let outcome = FuzzChecks.diary(try Self.finding("diary", "crash-ae1f8c8d")).outcome
        #expect(
            throws: SpasmError.diaryInvalid(
                field: nil, "the request body is not valid JSON: byte 0 is not valid UTF-8 (JSON text must be UTF-8)")
        ) {
            try outcome.get()
        }
        #expect(NonFiniteNumbers.Finding(field: "", text: "1e309").message.hasPrefix("the JSON text has 1e309, not a finite number"))
    }

    /// A 92-digit number: FlatJSON reads it correctly rounded (as Double(String) and
    /// JSONDecoder do); JSONSerialization on Linux is off by a few ulps, so the fuzzer's
    /// reference for numbers is Double(String).
    @Test func aLongNumberIsReadCorrectlyRounded() throws {
        let data = try Self.finding("flatjson", "crash-891566e5")
        let read = FlatJSON.withMembers(data) { $0.value("jNjj,")?.double }
        #expect(read == 9.999999999999999e+91)
    }
}
