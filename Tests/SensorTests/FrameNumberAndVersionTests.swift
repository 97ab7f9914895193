import Foundation
import SpasmErrors
import SpasmIngestion
import SpasmSchema
import Testing

@testable import spasmwatch_sensor

/// Numbers JSON cannot carry and a version sent as a string: the error names the field.
@Suite("Frame validation: non-finite numbers and the version's type")
struct FrameNumberAndVersionTests {
    static let start = #"{"v":1,"sensorId":"ankle-r","kind":"imu","placement":"right-ankle","unit":"g","#

    func rejection(_ json: String) -> SpasmError? {
        do {
            _ = try FrameValidator.validate(json: Data(json.utf8), binary: nil, maxBytes: 262_144)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("sampleRate", "NaN"), ("sampleRate", "Infinity"), ("sampleRate", "1e309"),
        ("firstSampleTime", "-Infinity"), ("firstSampleTime", "1e400"),
    ])
    func aNonFiniteFieldIsNamed(field: String, text: String) {
        var json = Self.start + #""samples":[0,0,1],"#
        json += field == "sampleRate" ? #""sampleRate":\#(text)}"# : #""sampleRate":100,"firstSampleTime":\#(text)}"#
        let refused = rejection(json)
        #expect(refused?.detail == field, "\(json): \(refused?.message ?? "accepted")")
        #expect(
            refused?.message == "field '\(field)' is \(text), not a finite number "
                + "(JSON numbers must be finite: no NaN, Infinity or magnitudes beyond 1.8e308)")
        #expect(refused?.code == .frameNaN)
    }

    @Test func aNonFiniteSampleNamesItsIndex() {
        let refused = rejection(Self.start + #""sampleRate":100,"samples":[0,0,1,0,NaN,1]}"#)
        #expect(refused?.detail == "samples[4]", "\(refused?.message ?? "accepted")")
        let overflow = rejection(Self.start + #""sampleRate":100,"samples":[0,0,1,0,1e309,1]}"#)
        #expect(overflow?.detail == "samples[4]", "\(overflow?.message ?? "accepted")")
    }

    @Test func aVersionSentAsAStringSaysItMustBeTheNumberOne() {
        let refused = rejection(
            #"{"v":"1","sensorId":"ankle-r","kind":"imu","placement":"right-ankle","sampleRate":100,"unit":"g","samples":[0,0,1]}"#)
        #expect(refused?.message == #"'v' must be the number 1, not the string "1": send "v":1"#)
        #expect(refused?.detail == "v")
        #expect(refused?.code == .frameVersion)
        let other = rejection(#"{"v":2,"sensorId":"ankle-r","kind":"imu","placement":"right-ankle","sampleRate":100,"unit":"g","samples":[0,0,1]}"#)
        #expect(other?.message == "schema version 2 is not supported (this build speaks version 1)")
    }
}
