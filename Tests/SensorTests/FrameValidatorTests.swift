import Foundation
import SpasmErrors
import SpasmIngestion
import SpasmSchema
import Testing

@testable import spasmwatch_sensor

/// Every validation rule, with the exact error a producer reads.
@Suite("Frame validation")
struct FrameValidatorTests {
    static let imuJSON =
        #"{"v":1,"sensorId":"ankle-r","kind":"imu","placement":"right-ankle","sampleRate":100,"unit":"g","firstSampleTime":1764072000,"samples":[0,0,1,0.1,0,0.9]}"#

    func frame(_ edit: (inout [String: Any]) -> Void) -> Data {
        var object = try! JSONSerialization.jsonObject(with: Data(Self.imuJSON.utf8)) as! [String: Any]
        edit(&object)
        return try! JSONSerialization.data(withJSONObject: object)
    }

    func rejection(_ json: Data, binary: Data? = nil, maxBytes: Int = 262_144) -> SpasmError? {
        do {
            _ = try FrameValidator.validate(json: json, binary: binary, maxBytes: maxBytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func aGoodFrameIsAccepted() throws {
        let valid = try FrameValidator.validate(json: Data(Self.imuJSON.utf8), binary: nil, maxBytes: 100_000)
        #expect(valid.sampleCount == 2)
        #expect(valid.samples == [0, 0, 1, 0.1, 0, 0.9])
        #expect(valid.placement == .rightAnkle)
    }

    @Test func structureAndVersion() {
        #expect(rejection(Data("not json".utf8))?.message.hasPrefix("frame is not a valid JSON object: ") == true, "with the parser's reason")
        #expect(rejection(frame { $0["v"] = nil })?.message == "missing required field 'v' (the schema version: 1)")
        #expect(rejection(frame { $0["v"] = 2 })?.message == "schema version 2 is not supported (this build speaks version 1)")
        #expect(rejection(frame { $0["sensorId"] = nil })?.message == "missing required field 'sensorId'")
        #expect(
            rejection(frame { $0["sensorId"] = "bad id!" })?.message
                == "sensorId 'bad id!' is not allowed: use letters, digits, '.', '_' or '-', 1–64 characters")
        #expect(rejection(frame { $0["sampleRate"] = "fast" })?.message == "field 'sampleRate' must be a number")
        #expect(rejection(frame { $0["kind"] = 3 })?.message == "field 'kind' must be a string")
    }

    @Test func kindPlacementAndUnit() {
        #expect(rejection(frame { $0["kind"] = "ecg" })?.message == "kind 'ecg' is not allowed; allowed: imu, emg")
        let placement = rejection(frame { $0["placement"] = "elbow" })
        #expect(placement?.message.hasPrefix("placement 'elbow' is not a body site; allowed: left-foot, right-foot,") == true)
        #expect(placement?.detail == "placement")
        // A typo gets the site it most likely meant, in the same refusal (issue 18 §11).
        let typo = rejection(frame { $0["placement"] = "left-clf" })
        #expect(typo?.message == "placement 'left-clf' is not a body site (did you mean left-calf?); allowed: \(BodySite.allowedList)")
        #expect(typo?.code == .frameField)
        #expect(typo?.detail == "placement")
        #expect(rejection(frame { $0["unit"] = "mV" })?.message == "unit 'mV' is not allowed for imu; allowed: g, m/s2")
        #expect(rejection(frame { $0["channels"] = 2 })?.message == "channels 2 is not allowed for imu: must be 3")
    }

    /// The optional `device` and `battery` fields (the device list), in the validator's shared home.
    @Test func deviceKindAndBattery() throws {
        let plain = try FrameValidator.validate(json: Data(Self.imuJSON.utf8), binary: nil, maxBytes: 100_000)
        #expect(plain.device == nil && plain.battery == nil)
        let phone = try FrameValidator.validate(
            json: frame {
                $0["device"] = "phone"
                $0["battery"] = 57.5
            }, binary: nil, maxBytes: 100_000)
        #expect(phone.device == .phone)
        #expect(phone.battery == 57.5)
        let device = rejection(frame { $0["device"] = "tablet" })
        #expect(device?.detail == "device")
        #expect(device?.message.hasSuffix("is not allowed; allowed: phone, watch, strap, other") == true, "\(device?.message ?? "")")
        let battery = rejection(frame { $0["battery"] = 140 })
        #expect(battery?.detail == "battery")
        #expect(battery?.code == .frameRange)
        #expect(
            battery?.message.hasPrefix("battery 140 is not allowed: the battery in percent, a number from 0 to 100") == true,
            "\(battery?.message ?? "")")
    }

    @Test func ratesPerKind() {
        #expect(rejection(frame { $0["sampleRate"] = 400 })?.message == "sampleRate 400 is outside 25–200 Hz for imu")
        let emg = frame {
            $0["kind"] = "emg"
            $0["unit"] = "mV"
            $0["sampleRate"] = 5000
            $0["samples"] = [0.1]
        }
        #expect(rejection(emg)?.message == "sampleRate 5000 is outside 500–2000 Hz for emg")
        #expect(rejection(emg)?.code == .frameRange)
    }

    @Test func samplesRangesAndUnits() throws {
        #expect(rejection(frame { $0["samples"] = [0, 0, 20] })?.message == "sample 0 (az) is 20 g; |az| must be ≤ 16 g for imu")
        #expect(rejection(frame { $0["samples"] = [0, 0] })?.message == "samples has 2 values, not a multiple of 3 channels")
        #expect(rejection(frame { $0["samples"] = [] })?.message == "a frame needs at least one sample")
        #expect(rejection(frame { $0["samples"] = [0, "x", 1] })?.message == "sample 1 is not a number; samples must be finite numbers")
        #expect(rejection(frame { $0["samples"] = nil })?.message == "no samples: send a 'samples' array or a binary Float32 frame")
        // m/s² is converted to g.
        let ms2 = try FrameValidator.validate(
            json: frame {
                $0["unit"] = "m/s2"
                $0["samples"] = [0, 0, 9.80665]
            }, binary: nil, maxBytes: 10_000)
        #expect(abs(ms2.samples[2] - 1) < 1e-6)
        // µV to mV.
        let uv = try FrameValidator.validate(
            json: frame {
                $0["kind"] = "emg"
                $0["unit"] = "uV"
                $0["sampleRate"] = 1000
                $0["samples"] = [500]
            },
            binary: nil, maxBytes: 10_000)
        #expect(uv.samples == [0.5])
    }

    @Test func binaryFrames() throws {
        let header = frame {
            $0["samples"] = nil
            $0["sampleCount"] = 2
        }
        let good = SamplePacking.pack([0, 0, 1, 0, 0, 1])
        #expect(try FrameValidator.validate(json: header, binary: good, maxBytes: 10_000).sampleCount == 2)
        #expect(rejection(header, binary: good.prefix(22))?.message == "binary frame has 22 bytes: expected a multiple of 4 (little-endian Float32)")
        #expect(rejection(header, binary: good.prefix(12))?.message == "binary frame has 3 values; sampleCount 2 × 3 channel(s) needs 6")
        #expect(
            rejection(frame { $0["samples"] = nil }, binary: good)?.message
                == "missing required field 'sampleCount' (samples per channel) for a binary frame")
        #expect(
            rejection(frame { $0["sampleCount"] = 2 }, binary: good)?.message
                == "samples were sent twice: use either the 'samples' array or the binary frame")
        let nan = SamplePacking.pack([0, .nan, 1, 0, 0, 1])
        #expect(rejection(header, binary: nan)?.message == "sample 0 (ay) is NaN; samples must be finite numbers")
        let inf = SamplePacking.pack([0, 0, 1, 0, 0, .infinity])
        #expect(rejection(header, binary: inf)?.message == "sample 1 (az) is infinite; samples must be finite numbers")
    }

    @Test func timeAndSize() {
        #expect(
            rejection(frame { $0["firstSampleTime"] = "now" })?.message
                == "firstSampleTime must be Unix epoch seconds (UTC) as a number, e.g. 1764072000.25")
        #expect(
            rejection(Data(Self.imuJSON.utf8), maxBytes: 50)?.message
                == "frame is \(Self.imuJSON.utf8.count) bytes; at most 50 bytes are allowed (send shorter frames)")
        #expect(rejection(Data(Self.imuJSON.utf8), maxBytes: 50)?.code == .frameSize)
    }

    /// A refusal's code names the reply's `reason` and the counter `rejected.<reason>`: the
    /// words producers and dashboards already read, and the reply's bytes.
    @Test func aRefusalsReplyKeepsItsReasonFieldAndSentence() {
        let codes: [SpasmError.Code] = [
            .frameSize, .frameJSON, .frameNaN, .frameVersion, .frameField, .frameRange, .frameUnit, .frameTime, .frameClock, .frameSamples,
            .frameSensorBinding, .frameRateLimit, .frameSensorLimit,
        ]
        #expect(
            codes.map { SpasmError($0, "x").reason } == [
                "size", "json", "nan", "version", "field", "range", "unit", "time", "clock", "samples", "sensor-binding", "rate-limit",
                "sensor-limit",
            ])
        #expect(codes.allSatisfy { SpasmError($0, "x").rejectsFrame })
        #expect(!SpasmError(.schemaMalformed, "x").rejectsFrame, "another module's error is not a frame's refusal")
        let refused = rejection(frame { $0["placement"] = "elbow" })
        #expect(refused?.code == .frameField)
        let reply = refused.map { ProducerReply(rejection: $0) }
        #expect(
            reply.map { String(decoding: $0.fastJSON(), as: UTF8.self) }
                == #"{"error":"placement 'elbow' is not a body site; allowed: \#(BodySite.allowedList)","field":"placement","ok":false,"reason":"field"}"#
        )
    }
}

/// A frame FlatJSON reads in place and one it hands to JSONSerialization (escaped member
/// names, deep nesting) validate the same way; values the checks do not read (nested
/// objects, arrays of strings) do not matter.
@Suite("Frame reading")
struct FrameReadingTests {
    static let rest =
        #""sensorId":"ankle-r","kind":"imu","placement":"right-ankle","sampleRate":100,"unit":"g","firstSampleTime":1764072000,"samples":[0,0,1,0.1,0,0.9]"#

    @Test func readsWhatJSONDecoderReads() throws {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let texts = [
            FrameValidatorTests.imuJSON,
            #" { "v" : 1 , "# + Self.rest + #" , "a": -1.5e-3, "b": true, "c": null, "d": [ ], "e": [1, 2.5, -3e2] } "#,
            #"{"\u0076":1,"# + Self.rest + "}",
            #"{"v":1,"# + Self.rest + #","s":"a\"b","o":{"x":[1,"y"]},"a":["x"]}"#,
            #"{"v":1,"# + Self.rest + #","deep":"# + deep + "}",
        ]
        for text in texts {
            let valid = try FrameValidator.validate(json: Data(text.utf8), binary: nil, maxBytes: 100_000, now: 1_764_072_000)
            #expect(valid.sensorId == "ankle-r" && valid.placement == .rightAnkle, "\(text)")
            #expect(valid.samples == [0, 0, 1, 0.1, 0, 0.9], "\(text)")
        }
        // Found by the fuzzer (Tests/Fuzz/frame/crash-556e…): the first of duplicate names counts, as in JSONDecoder.
        let twice = #"{"kind":"emg","v":1,"# + Self.rest + "}"
        #expect(throws: SpasmError(.frameRange, "sampleRate 100 is outside 500–2000 Hz for emg", detail: "sampleRate")) {
            try FrameValidator.validate(json: Data(twice.utf8), binary: nil, maxBytes: 100_000, now: 1_764_072_000)
        }
    }

    @Test func refusesWhatIsNotOneObject() {
        for text in [#"{"a":1"#, #"{"a":1}x"#, #"{"a":01e}"#, "[1]", ""] {
            let rejection = FrameValidatorTests().rejection(Data(text.utf8))
            #expect(rejection?.code == .frameJSON && rejection?.detail == nil, "\(text): \(rejection?.message ?? "accepted")")
        }
    }
}
