import Foundation
import SpasmBus
import SpasmTestSupport

/// The hostile-input corpus (Tests/Hostile/README.md): one case is a payload file
/// `NNN-name.json` or `NNN-name.bin` (sent byte for byte) and `NNN-name.expect`, what must
/// come back. Cases too large for files (oversize frames, deep nesting, random bytes) are
/// made in code, `HostileCorpus.generated`.
struct HostileCase: Sendable {
    let name: String
    let payload: Data
    var expectation: Expectation

    struct Expectation: Sendable {
        /// `outcome: accepted` (`"ok":true`) or `outcome: refused` (`"ok":false`).
        var accepted: Bool
        /// `error: WORDS`: each must be in the reply's `error` (a refusal names one at least).
        var errors: [String] = []
        /// `field: NAME`: the reply's `field`.
        var field: String?
        /// `status: N`: the HTTP status.
        var status: Int?
        /// `header: Name: value` (HTTP; `{port}` is the server's port).
        var headers: [String] = []
        /// `request: METHOD /path` (HTTP; default `POST` to the endpoint's path).
        var request: String?
        /// `part: TEXT` / `part-hex: 00 01 …` (ZeroMQ): more parts after the payload.
        var parts: [Data] = []
        /// Random bytes: any refusal that names something (the words cannot be known).
        var anyError = false
    }
}

enum HostileCorpus {
    static var directory: URL { TestSupport.repositoryRoot.appendingPathComponent("Tests/Hostile") }

    /// The cases of one endpoint's folder, in file-name order.
    static func load(_ endpoint: String) throws -> [HostileCase] {
        let folder = directory.appendingPathComponent(endpoint)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".expect") }.sorted()
        return try names.map { file in
            let name = String(file.dropLast(".expect".count))
            var payload = Data()
            for ext in ["json", "bin"] {
                let url = folder.appendingPathComponent("\(name).\(ext)")
                if FileManager.default.fileExists(atPath: url.path) { payload = try Data(contentsOf: url) }
            }
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            return HostileCase(name: "\(endpoint)/\(name)", payload: payload, expectation: try parse(text, case: name))
        }
    }

    static func parse(_ text: String, case name: String) throws -> HostileCase.Expectation {
        var expectation = HostileCase.Expectation(accepted: false)
        var outcome: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { throw TestFailure("\(name).expect: '\(line)' is not 'key: value'") }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "outcome": outcome = value
            case "error": expectation.errors.append(value)
            case "field": expectation.field = value
            case "status": expectation.status = Int(value)
            case "header": expectation.headers.append(value)
            case "request": expectation.request = value
            case "part": expectation.parts.append(Data(value.utf8))
            case "part-hex": expectation.parts.append(try hex(value, case: name))
            default: throw TestFailure("\(name).expect: unknown key '\(key)'")
            }
        }
        switch outcome {
        case "accepted": expectation.accepted = true
        case "refused":
            guard !expectation.errors.isEmpty else { throw TestFailure("\(name).expect: a refusal needs 'error: WORDS' (what the reply must name)") }
        default: throw TestFailure("\(name).expect: 'outcome: accepted' or 'outcome: refused' is required")
        }
        return expectation
    }

    static func hex(_ text: String, case name: String) throws -> Data {
        let digits = Array(text.filter { !$0.isWhitespace })
        guard digits.count % 2 == 0 else { throw TestFailure("\(name).expect: odd number of hex digits") }
        return try Data(
            stride(from: 0, to: digits.count, by: 2).map { i in
                guard let byte = UInt8(String(digits[i...i + 1]), radix: 16) else { throw TestFailure("\(name).expect: bad hex '\(text)'") }
                return byte
            })
    }

    // MARK: Generated cases

    /// The largest message each ZeroMQ endpoint is sent: just under its socket's
    /// `ZMQ_MAXMSGSIZE` (beyond it libzmq drops the peer without a reply, by design).
    static let nearSocketLimit = MessageLimits.socketBytes - 64 * 1024
    /// How often the near-limit message is sent: 16 × 8 MiB = 128 MiB in all, so a process
    /// that kept each one would pass the resident-memory bound (64 MiB) twice over.
    static let bigRepeats = 16

    /// Cases made in code for one endpoint: oversize (over the checked limit, and near the
    /// socket limit, repeated), 100 000 levels of nesting, and random bytes (fixed seed).
    static func generated(_ endpoint: String, checkedLimit: Int) -> [HostileCase] {
        var cases: [HostileCase] = []
        func add(_ name: String, _ payload: Data, _ expectation: HostileCase.Expectation) {
            cases.append(HostileCase(name: "\(endpoint)/gen-\(name)", payload: payload, expectation: expectation))
        }
        let http = endpoint.hasSuffix("http")
        let frameHeader = Data(
            #"{"v":1,"sensorId":"gen","kind":"imu","placement":"right-ankle","sampleRate":100,"unit":"g","sampleCount":1,"pad":""#.utf8)
        let requestHeader = Data(endpoint == "store-queries" ? #"{"query":"info","person":""#.utf8 : #"{"v":1,"op":"recent","via":""#.utf8)
        func padded(_ total: Int) -> Data {
            let header =
                endpoint.hasPrefix("producer") ? frameHeader : endpoint == "diary-http" ? Data(#"{"kind":"spasm","note":""#.utf8) : requestHeader
            return header + Data(repeating: UInt8(ascii: "a"), count: max(0, total - header.count - 2)) + Data(#""}"#.utf8)
        }
        let sizeWords: String =
            switch endpoint {
            case "producer-http": "frame is larger than \(checkedLimit) bytes"
            case "diary-http": "the request body is larger than \(checkedLimit / 1024) KiB"
            case "producer-zmq": "at most \(checkedLimit) bytes are allowed"
            default: "at most \(checkedLimit) bytes are allowed"
            }
        let size = HostileCase.Expectation(accepted: false, errors: [sizeWords], status: http ? 413 : nil)
        add("oversize-by-one", padded(checkedLimit + 1), size)
        let bigCount = http ? 4 : bigRepeats
        for i in 0..<bigCount { add("oversize-near-socket-limit-\(i)", padded(nearSocketLimit), size) }

        let notJSON: String =
            switch endpoint {
            case "producer-zmq", "producer-http": "frame is not a valid JSON object"
            case "diary-http": "the request body is not valid JSON"
            default: "not valid JSON"
            }
        let nesting = HostileCase.Expectation(accepted: false, errors: [notJSON, "nested"], status: http ? 400 : nil)
        // 100 000 levels, or as many as fit the endpoint's checked limit (the diary's is 64 KiB).
        let depth = min(100_000, checkedLimit / 2 - 64)
        add("deep-nesting-\(depth)", Data(repeating: UInt8(ascii: "["), count: depth), nesting)
        let inField =
            endpoint.hasPrefix("producer")
            ? Data(#"{"v":1,"sensorId":"gen","samples":"#.utf8)
            : endpoint == "diary-http" ? Data(#"{"kind":"spasm","spasm":"#.utf8) : requestHeader.dropLast()  // `"person":` / `"via":`
        add(
            "deep-nesting-in-a-field",
            inField + Data(repeating: UInt8(ascii: "["), count: depth)
                + Data(repeating: UInt8(ascii: "]"), count: depth) + Data("}".utf8), nesting)

        var random = SplitMix64(seed: 0x5eed_0013)
        for i in 0..<(http ? 25 : 100) {
            let count = Int(random.next() % 2048) + 1
            add(
                "random-bytes-\(i)", Data((0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }),
                HostileCase.Expectation(accepted: false, status: http ? 400 : nil, anyError: true))
        }
        return cases
    }
}

/// A small fixed-seed generator (SplitMix64), so the random cases are the same every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What came back for one case, and whether it is what the case expects.
struct HostileReply {
    /// The reply's bytes (nil: no reply at all).
    let body: Data?
    var status: Int?

    /// The most a refusal may be: a sentence that names what is wrong, never the input echoed back.
    static let maxErrorBytes = 4096

    var json: [String: Any]? { body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } }

    /// nil when the reply is what `expectation` says; else why not.
    func mismatch(_ expectation: HostileCase.Expectation) -> String? {
        guard let body else { return "no reply" }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        if let want = expectation.status, status != want { return "HTTP \(status.map(String.init) ?? "none"), expected \(want): \(text)" }
        guard let json else { return "the reply is not a JSON object: \(text)" }
        let ok = json["ok"] as? Bool
        if expectation.accepted {
            return ok == true ? nil : "expected accepted, got \(text)"
        }
        guard ok == false else { return "expected a refusal, got \(text)" }
        let error = json["error"] as? String ?? ""
        if error.isEmpty { return "a refusal without an error sentence: \(text)" }
        if body.count > Self.maxErrorBytes { return "the refusal is \(body.count) bytes (at most \(Self.maxErrorBytes)): \(text)…" }
        for words in expectation.errors where !error.contains(words) { return "error '\(error)' does not say '\(words)'" }
        if let field = expectation.field, json["field"] as? String != field {
            return "field \(json["field"].map { "\($0)" } ?? "none"), expected '\(field)' (error: \(error))"
        }
        return nil
    }
}

/// VmRSS of a process, bytes (from /proc/PID/status).
func residentBytes(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kB = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return nil }
    return kB * 1024
}
