import Foundation
import SpasmDiaryRules
import SpasmErrors
import SpasmIngestion
import SpasmSchema

/// What each fuzz target does with one input, shared by the libFuzzer binaries
/// (deploy/dev/fuzz.sh) and the regression tests (Tests/FuzzTests), which feed every file
/// in Tests/Fuzz/<target>/ through the same functions. Each returns the properties the input
/// broke: empty means fine. A crash inside the code under test is a crash either way.
public enum FuzzChecks {
    public static let targets = ["flatjson", "frame", "diary"]

    /// The server's clock for the frame and diary targets, fixed so a corpus input means the
    /// same thing every run (the fixtures' times are around it).
    public static let now: Double = 1_764_072_000

    /// The sensor service's default `sensor.maxFrameBytes`.
    public static let maxFrameBytes = 256 << 10

    public static func problems(target: String, input: Data) -> [String] {
        switch target {
        case "flatjson": flatJSON(input)
        case "frame": frame(input).problems
        case "diary": diary(input).problems
        default: ["unknown fuzz target '\(target)'; known: \(targets.joined(separator: ", "))"]
        }
    }

    // MARK: FlatJSON

    /// Reads the object with FlatJSON, asks every value for every type, and compares what it
    /// accepted with JSONSerialization (the reference): an object FlatJSON reads must be JSON,
    /// and the strings, numbers and arrays it returns must be the ones JSONSerialization reads.
    public static func flatJSON(_ input: Data) -> [String] {
        var problems: [String] = []
        let nonFinite = NonFiniteNumbers.first(in: input)
        let validUTF8 = String(validating: input, as: UTF8.self) != nil
        let reference = validUTF8 ? (try? JSONSerialization.jsonObject(with: input)) as? [String: Any] : nil
        let accepted =
            FlatJSON.withMembers(input) { members -> Bool? in
                var seen: [String: Int] = [:]
                _ = members.forEach { key, _ in
                    seen[key.string, default: 0] += 1
                    return true
                }
                _ = members.forEach { key, value in
                    exercise(value, depth: 0)
                    let name = key.string
                    guard let reference, seen[name] == 1, let expected = reference[name] else { return true }
                    compare(value, expected, path: name, problems: &problems)
                    return true
                }
                return true
            } ?? false
        // FlatJSON's grammar accepts 1e309 and a lone surrogate such as "\ud800" (its readers
        // return nil for them, and callers fall back); JSONSerialization refuses both.
        let surrogate = input.indices.contains { i in
            i + 2 < input.endIndex && input[i] == UInt8(ascii: "\\") && input[i + 1] == UInt8(ascii: "u")
                && (input[i + 2] | 0x20) == UInt8(ascii: "d")
        }
        if accepted, validUTF8, nonFinite == nil, !surrogate, reference == nil {
            problems.append("FlatJSON read an object that JSONSerialization refuses")
        }
        return problems
    }

    /// Calls every accessor (none may crash, whatever the value).
    static func exercise(_ value: FlatJSON.Value, depth: Int) {
        _ = value.isNull
        _ = value.string
        _ = value.bool
        _ = value.double
        _ = value.int
        _ = value.uint32
        _ = value.uint64
        _ = value.uuid
        _ = value.numbers
        _ = value.jsonBytes.count
        if let members = value.members, depth < 40 {
            _ = members.forEach { key, nested in
                _ = key.string
                exercise(nested, depth: depth + 1)
                return true
            }
        }
    }

    static func compare(_ value: FlatJSON.Value, _ expected: Any, path: String, problems: inout [String]) {
        switch value.kind {
        case .string:
            if let s = value.string, let e = expected as? String, s != e {
                problems.append("\(path): FlatJSON read the string \(s.debugDescription), JSONSerialization \(e.debugDescription)")
            }
            if let id = value.uuid, let s = value.string, UUID(uuidString: s) != id {
                problems.append("\(path): FlatJSON read the UUID \(id) from \(s.debugDescription)")
            }
        case .number:
            // The exact reference is Swift's own Double(String); JSONSerialization on Linux
            // misreads numbers with more than ~20 digits by a few ulps (found by this fuzzer:
            // Tests/Fuzz/flatjson/crash-8915…), so it is only checked to 1e-9.
            let text = String(decoding: value.jsonBytes, as: UTF8.self)
            if let d = value.double, let exact = Double(text), d != exact {
                problems.append("\(path): FlatJSON read the number \(d) from \(text), Double(String) \(exact)")
            }
            if let d = value.double, let e = (expected as? NSNumber)?.doubleValue, e.isFinite, abs(d - e) > 1e-9 * max(abs(d), abs(e)) {
                problems.append("\(path): FlatJSON read the number \(d), JSONSerialization \(e)")
            }
            if let i = value.int, let d = value.double, Double(i) != d {
                problems.append("\(path): FlatJSON's int \(i) and double \(d) differ")
            }
            if let u = value.uint64, let i = value.int, i >= 0, UInt64(i) != u {
                problems.append("\(path): FlatJSON's uint64 \(u) and int \(i) differ")
            }
        case .array:
            if let numbers = value.numbers, let e = expected as? [Any], numbers.count != e.count {
                problems.append("\(path): FlatJSON read \(numbers.count) numbers, JSONSerialization \(e.count) values")
            }
        case .object:
            // Members refuses escaped names (callers fall back to JSONDecoder), nothing else.
            if value.members == nil, !value.jsonBytes.contains(UInt8(ascii: "\\")) {
                problems.append("\(path): an object FlatJSON accepted has no members")
            }
        case .bool, .null:
            break
        }
    }

    // MARK: Frames

    /// One producer frame: the bytes before the first NUL are the JSON, the bytes after it (if
    /// any) the binary payload, as ZeroMQ producers send them (JSON cannot contain a raw NUL).
    public static func frameParts(_ input: Data) -> (json: Data, binary: Data?) {
        guard let nul = input.firstIndex(of: 0) else { return (input, nil) }
        return (Data(input[input.startIndex..<nul]), Data(input[(nul + 1)...]))
    }

    public static let frameCodes: Set<SpasmError.Code> = [
        .frameSize, .frameJSON, .frameNaN, .frameVersion, .frameField, .frameRange, .frameUnit, .frameTime, .frameClock, .frameSamples,
    ]

    /// Validates a frame; an accepted one must satisfy every rule of docs/plug-in-a-sensor.md,
    /// a refused one must say why and (except for size and JSON syntax) name the field. The
    /// fast reader (FlatJSON) and the generic one (JSONSerialization) must agree.
    public static func frame(_ input: Data) -> (outcome: Result<ValidFrame, SpasmError>, problems: [String]) {
        let (json, binary) = frameParts(input)
        var problems: [String] = []
        let outcome: Result<ValidFrame, SpasmError>
        do {
            outcome = .success(try FrameValidator.validate(json: json, binary: binary, maxBytes: maxFrameBytes, now: now))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let frame):
            let channels = frame.kind == .imu ? 3 : 1
            let limit = frame.kind == .imu ? FrameValidator.maxAcceleration : FrameValidator.maxEMG
            let rates = frame.kind == .imu ? FrameValidator.imuRates : FrameValidator.emgRates
            if frame.channels != channels { problems.append("accepted \(frame.channels) channels for \(frame.kind.rawValue)") }
            if frame.payload.isEmpty || frame.payload.count % (4 * channels) != 0 {
                problems.append("accepted a payload of \(frame.payload.count) bytes for \(channels) channel(s)")
            }
            if let bad = frame.samples.first(where: { !$0.isFinite || abs($0) > limit }) { problems.append("accepted the sample \(bad)") }
            if !rates.contains(frame.sampleRate) { problems.append("accepted sampleRate \(frame.sampleRate)") }
            if frame.sensorId.isEmpty || frame.sensorId.utf8.count > 64 || !frame.sensorId.utf8.allSatisfy(FrameValidator.isSensorIdByte) {
                problems.append("accepted sensorId \(frame.sensorId.debugDescription)")
            }
            if let t = frame.firstSampleTime, !(t.isFinite && t <= now + FrameValidator.futureSlackSeconds) {
                problems.append("accepted firstSampleTime \(t)")
            }
        case .failure(let rejection):
            if rejection.message.isEmpty { problems.append("a rejection without a message") }
            if !frameCodes.contains(rejection.code) { problems.append("unknown rejection code '\(rejection.code)'") }
            if rejection.detail?.isEmpty ?? true, rejection.code != .frameSize, rejection.code != .frameJSON {
                problems.append("rejection '\(rejection.message)' names no field")
            }
        }
        problems += readersAgree(json, binary: binary, outcome)
        return (outcome, problems)
    }

    /// The fast reader (FlatJSON, read in place) against JSONSerialization: the frame's members
    /// as JSONSerialization reads them, written again plainly, validate the same way. Skipped
    /// when a member name repeats (JSONSerialization keeps the last, FlatJSON and JSONDecoder
    /// the first) and for frames refused for their size.
    static func readersAgree(_ json: Data, binary: Data?, _ outcome: Result<ValidFrame, SpasmError>) -> [String] {
        if case .failure(let rejection) = outcome, rejection.code == .frameSize { return [] }
        guard let plain = FrameValidator.plainJSON(json), !repeatsMemberName(json) else { return [] }
        let again: Result<ValidFrame, SpasmError> = Result { () throws(SpasmError) -> ValidFrame in
            try FrameValidator.validate(json: plain, binary: binary, maxBytes: Int.max, now: now)
        }
        switch (outcome, again) {
        case (.success(let fast), .success(let slow)):
            let close =
                fast.samples.count == slow.samples.count
                && zip(fast.samples, slow.samples).allSatisfy { abs($0 - $1) <= 1e-6 * max(abs($0), abs($1)) }
            if fast.sensorId != slow.sensorId || fast.kind != slow.kind || fast.placement != slow.placement || !close {
                return [
                    "the fast reader accepts \(fast.sensorId) \(fast.kind.rawValue) with \(fast.samples.count) values, JSONSerialization \(slow.sensorId) \(slow.kind.rawValue) with \(slow.samples.count)"
                ]
            }
        case (.failure(let fast), .failure(let slow)):
            if fast.code != slow.code || fast.detail != slow.detail {
                return ["the fast reader refuses with '\(fast.message)', JSONSerialization's reading with '\(slow.message)'"]
            }
        case (.success, .failure(let slow)):
            return ["the fast reader accepts a frame JSONSerialization's reading refuses: \(slow.message)"]
        case (.failure(let fast), .success):
            return ["the fast reader refuses a frame JSONSerialization's reading accepts: \(fast.message)"]
        }
        return []
    }

    /// Whether a member the validator reads appears twice at the top level.
    static func repeatsMemberName(_ json: Data) -> Bool {
        FlatJSON.withMembers(json) { members -> Bool? in
            var seen: Set<String> = []
            return !members.forEach { key, _ in
                let name = key.string
                return !FrameValidator.memberNames.contains(name) || seen.insert(name).inserted
            }
        } ?? false
    }

    // MARK: Diary entries

    /// Parses a diary entry as `POST /api/entries` does. An accepted entry must pass the
    /// validator and read back the same from its own JSON; a refused one must name its field,
    /// except when the body is not a JSON object at all.
    public static func diary(_ input: Data) -> (outcome: Result<DiaryEntry, SpasmError>, problems: [String]) {
        var problems: [String] = []
        let outcome: Result<DiaryEntry, SpasmError>
        do {
            outcome = .success(try DiaryEntryParser.parse(input, via: "web", now: now))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let entry):
            do {
                try DiaryValidator.validate(entry, now: now)
            } catch {
                problems.append("accepted an entry the validator refuses: \(error.message)")
            }
            if let encoded = try? JSONEncoder().encode(entry) {
                do {
                    let again = try DiaryEntryParser.parse(encoded, via: "web", now: now)
                    if again != entry { problems.append("the entry reads back differently from its own JSON") }
                } catch {
                    problems.append("the entry's own JSON is refused: \(error.message)")
                }
            } else {
                problems.append("an accepted entry cannot be encoded")
            }
        case .failure(let error):
            if error.message.isEmpty { problems.append("a refusal without a message") }
            if error.detail == nil, !error.message.hasPrefix("the request body") {
                problems.append("refusal '\(error.message)' names no field")
            }
        }
        return (outcome, problems)
    }
}
