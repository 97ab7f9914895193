import Foundation
import SpasmErrors
import Testing

@testable import SpasmSchema

/// The hand-written readers give exactly what JSONDecoder gives, and refuse (so that
/// JSONDecoder answers, with its error) whatever they do not read the same way.
@Suite("Flat JSON readers")
struct FlatJSONTests {
    static let fixtures = GoldenFixtureTests.fixtures

    @Test func headersOfEveryFixtureMatchJSONDecoder() throws {
        for name in ["sensor.frame", "heartbeat", "stored", "manual.entry", "episode", "alert", "acknowledgement", "delivery"] {
            let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).json"))
            let fast = try #require(EnvelopeHeader.fastDecode(data), "\(name)")
            #expect(fast == (try JSONDecoder().decode(EnvelopeHeader.self, from: data)), "\(name)")
        }
    }

    /// Short decimals (a time with microseconds) are read without strtod: the same double, bit for bit.
    @Test func shortDecimalsReadAsStrtodDoes() throws {
        var texts = ["0.5", "-0.0", "-0.25", "1764647109.123456", "1764647109.1", "0.1", "0.000000000000000000001", "9007199254740.991"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let value = Double.random(in: 1_700_000_000...1_800_000_000, using: &generator)
            let digits = Int.random(in: 1...9, using: &generator)
            texts.append(value.description)
            texts.append(String(format: "%.\(digits)f", value))
            texts.append(String(format: "%.\(digits)f", -value / 1e9))
        }
        for text in texts {
            let json = Data("{\"t\":\(text)}".utf8)
            let read = try #require(FlatJSON.withMembers(json) { $0.value("t")?.double }, "\(text)")
            let expected = try #require(Double(text))
            #expect(read.bitPattern == expected.bitPattern, "\(text)")
        }
    }

    /// Strings are checked for UTF-8: ASCII in one pass, anything else by the standard library.
    @Test func stringsAreCheckedForUTF8() {
        func read(_ bytes: [UInt8]) -> String? {
            FlatJSON.withMembers(Data(#"{"s":""#.utf8 + bytes + #""}"#.utf8)) { $0.value("s")?.string }
        }
        #expect(read(Array("detect-0".utf8)) == "detect-0")
        #expect(read(Array("capteur-é-😀".utf8)) == "capteur-é-😀")
        #expect(read([]) == "")
        for bad: [UInt8] in [[0xFF], [0x61, 0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] { #expect(read(bad) == nil, "\(bad)") }
    }

    @Test func framesAndEpisodesMatchJSONDecoder() throws {
        let frames = [
            Samples.frame,
            SensorFrame(
                sensorId: "emg-\"quoted\"-é", kind: .emg, placement: .leftCalf, sampleRate: 1000, channels: 1,
                unit: .millivolts, firstSampleTime: 1e9 + 1.0 / 3.0, sampleCount: 100, producerSeq: UInt64.max),
        ]
        for frame in frames {
            let data = try WireCodec.encodeEnvelope(Envelope(header: Samples.header(SensorFrame.messageType), body: frame))
            let fast = FlatJSON.withMembers(data) { members in members.value("body")?.members.flatMap { SensorFrame(flat: $0) } }
            #expect(fast == frame)
            #expect(try WireCodec.decode(SensorFrame.self, from: data).body == frame)
        }
        let episodes = [
            Samples.episode,
            EpisodeEvent(
                episodeId: UUID(), phase: .end, kind: .tonic, sensorId: "calf", site: nil, start: 1_764_000_000.125,
                end: 1_764_000_004.5, detectedAt: 1_764_000_002, confidence: 0.75, peak: 3.25, dominantFrequencyHz: nil),
            EpisodeEvent(
                episodeId: UUID(), phase: .end, kind: .clonus, sensorId: "ankle", site: .leftAnkle, start: 1_764_000_000,
                end: 1_764_000_009.25, detectedAt: 1_764_000_009.25, confidence: 0.5, interrupted: true),
        ]
        for episode in episodes {
            let body = try WireCodec.encode(episode)
            #expect(FlatJSON.withMembers(body) { EpisodeEvent(flat: $0) } == episode)
            #expect(try JSONDecoder().decode(EpisodeEvent.self, from: body) == episode)
        }
        // `interrupted` must be true or false: anything else is left to JSONDecoder (which refuses it).
        let wrong = Data(
            #"{"episodeId":"6F1B8C2E-3D4A-4B5C-9E8F-0A1B2C3D4E5F","phase":"end","kind":"tonic","sensorId":"s","start":1,"end":2,"detectedAt":2,"confidence":1,"interrupted":"yes"}"#
                .utf8)
        #expect(FlatJSON.withMembers(wrong) { EpisodeEvent(flat: $0) } == nil)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(EpisodeEvent.self, from: wrong) }
    }

    @Test func repliesRoundTrip() throws {
        let replies = [
            ProducerReply(ok: true, sensorId: "ankle", accepted: 50, seq: 7),
            ProducerReply(
                ok: false, error: "sampleRate 5000 is outside 500–2000 Hz for emg\nsee \"docs\"", field: "sampleRate",
                reason: "range"),
        ]
        for reply in replies {
            #expect(try ProducerReply.decode(reply.fastJSON()) == reply)
            #expect(try JSONDecoder().decode(ProducerReply.self, from: reply.fastJSON()) == reply)
        }
    }

    @Test func whatTheReaderRefusesIsLeftToJSONDecoder() throws {
        let good = #"{"epoch":1,"id":"6F1B8C2E-3D4A-4B5C-9E8F-0A1B2C3D4E5F","person":"me","seq":0,"source":"s","time":1,"type":"t","v":1,"body":{}}"#
        #expect(EnvelopeHeader.fastDecode(Data(good.utf8)) != nil)
        let refused = [
            good.replacingOccurrences(of: #""seq":0"#, with: #""seq":0.5"#),  // not a whole number
            good.replacingOccurrences(of: #""seq":0"#, with: #""seq":-1"#),  // negative unsigned
            good.replacingOccurrences(of: #""epoch":1"#, with: #""epoch":4294967296"#),  // past UInt32
            good.replacingOccurrences(of: #""person":"me","#, with: ""),  // missing field
            good.replacingOccurrences(of: #""id":"6F1B"#, with: #""id":"XF1B"#),  // not a UUID
            good.replacingOccurrences(of: #""body":{}"#, with: #""body":{"a":01}"#),  // bad number in the body
            good.replacingOccurrences(of: #""body":{}"#, with: #""body":{"a":"\q"}"#),  // bad escape
            good + "x",  // trailing text
            String(good.dropLast()),  // cut short
        ]
        for text in refused {
            let data = Data(text.utf8)
            #expect(EnvelopeHeader.fastDecode(data) == nil, "\(text)")
            // Whatever JSONDecoder makes of it is the answer (it is lenient about a few of these).
            #expect((try? WireCodec.decodeHeader(data)) == (try? JSONDecoder().decode(EnvelopeHeader.self, from: data)), "\(text)")
        }
        #expect(throws: SpasmError.self) { try WireCodec.decodeHeader(Data(refused[3].utf8)) }
        // Integers written with an exponent or fraction are refused by the fast reader; JSONDecoder decides.
        let exponent = good.replacingOccurrences(of: #""seq":0"#, with: #""seq":1e2"#)
        #expect(EnvelopeHeader.fastDecode(Data(exponent.utf8)) == nil)
    }

    @Test func idsAreWellFormedAndReadBack() throws {
        for _ in 0..<100 {
            let random = UUID.fastRandom()
            let ordered = UUID.timeOrdered()
            #expect(random.canonicalString == random.uuidString)
            #expect(Array(random.uuidString)[14] == "4")
            #expect(Array(ordered.uuidString)[14] == "7")
            #expect("89AB".contains(Array(ordered.uuidString)[19]))
            let text = Data(ordered.uuidString.lowercased().utf8)
            #expect(text.withUnsafeBytes { UUID(canonicalBytes: $0) } == ordered)
        }
        // Time order: an id made a millisecond later sorts after.
        let t = 1_764_072_000.0
        #expect(UUID.timeOrdered(now: t).uuidString < UUID.timeOrdered(now: t + 0.001).uuidString)
        #expect(Set((0..<10_000).map { _ in UUID.fastRandom() }).count == 10_000)
        #expect(Data("6F1B8C2E-3D4A-4B5C-9E8F-0A1B2C3D4E5G".utf8).withUnsafeBytes { UUID(canonicalBytes: $0) } == nil)
    }

    @Test func stringsWithEscapesAreRead() throws {
        let text = #"{"a":"x\"y\\z\/\n\u00e9\ud83d\ude00","b":[1,-2.5e3,0]}"#
        let result = FlatJSON.withMembers(Data(text.utf8)) { members -> (String, [Double])? in
            guard let a = members.value("a")?.string, let b = members.value("b")?.numbers else { return nil }
            return (a, b)
        }
        #expect(result?.0 == "x\"y\\z/\né😀")
        #expect(result?.1 == [1, -2500, 0])
        #expect(FlatJSON.withMembers(Data(#"{"a":"\ud83d"}"#.utf8)) { $0.value("a")?.string } == nil)  // lone surrogate
    }

    /// A name sent twice: JSONDecoder keeps the first, so the fast reader must too, or the
    /// same bytes mean two things depending on which path reads them (found by the fuzzer,
    /// Tests/Fuzz/frame/crash-556e…).
    @Test func aDuplicateNameReadsAsJSONDecoderReadsIt() throws {
        struct Header: Decodable { var type: String }
        let text = Data(#"{"type":"heartbeat","v":1,"type":"alert.critical"}"#.utf8)
        let slow = try JSONDecoder().decode(Header.self, from: text).type
        #expect(FlatJSON.withMembers(text) { $0.value("type")?.string } == slow)
    }
}
