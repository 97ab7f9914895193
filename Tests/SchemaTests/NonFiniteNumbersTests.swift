import Foundation
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema
import Testing

/// NaN, Infinity and 1e309 are refused naming their field, wherever JSON comes in.
@Suite("Non-finite numbers name their field")
struct NonFiniteNumbersTests {
    @Test func theScannerFindsThePath() {
        func find(_ json: String) -> NonFiniteNumbers.Finding? { NonFiniteNumbers.first(in: Data(json.utf8)) }
        #expect(find(#"{"a":1,"b":"NaN","c":true,"d":null,"e":[1,2.5e3,-0.1]}"#) == nil, "strings and finite numbers are fine")
        #expect(find(#"{"from":1e309}"#) == .init(field: "from", text: "1e309"))
        #expect(find(#"{"kind":"spasm","spasm":{"at":1,"pain":NaN}}"#) == .init(field: "spasm.pain", text: "NaN"))
        #expect(find(#"{"samples":[0, 1, -Infinity]}"#) == .init(field: "samples[2]", text: "-Infinity"))
        #expect(find(#"{"x\"y":{"z":[[1],[2,1e999]]}}"#) == .init(field: #"x\"y.z[1][1]"#, text: "1e999"))
        #expect(find(#"[{"a":1},{"b":Infinity}]"#) == .init(field: "[1].b", text: "Infinity"))
    }

    func diaryRefusal(_ json: String) -> SpasmError? {
        do {
            _ = try DiaryEntryParser.parse(Data(json.utf8), via: "phone", now: 1_764_072_000)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["NaN", "Infinity", "-Infinity", "1e309"])
    func aDiaryEntryNamesTheField(text: String) {
        let refused = diaryRefusal(#"{"kind":"spasm","spasm":{"type":"phasic","severity":2,"pain":\#(text)}}"#)
        #expect(refused?.detail == "spasm.pain", "\(refused?.message ?? "accepted")")
        #expect(
            refused?.message == "field 'spasm.pain' is \(text), not a finite number "
                + "(JSON numbers must be finite: no NaN, Infinity or magnitudes beyond 1.8e308)")
        let sentAt = diaryRefusal(#"{"kind":"spasm","sentAt":\#(text),"spasm":{"type":"phasic","severity":2}}"#)
        #expect(sentAt?.detail == "sentAt", "\(sentAt?.message ?? "accepted")")
    }

    @Test func aBusEnvelopeNamesTheField() {
        let json = #"{"v":1,"type":"heartbeat","id":"8A1B4C2E-0000-4000-8000-000000000001","source":"x","epoch":1,"seq":1e309,"time":1,"body":{}}"#
        do {
            _ = try WireCodec.decodeHeader(Data(json.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("field 'seq' is 1e309, not a finite number"), "\(error)")
        }
    }
}

@Suite("The schema version sent as a string")
struct VersionAsStringTests {
    @Test func anEnvelopeWithVersionStringOneSaysToSendTheNumber() {
        let json = #"{"v":"1","type":"heartbeat","id":"8A1B4C2E-0000-4000-8000-000000000001","source":"x","epoch":1,"seq":1,"time":1,"body":{}}"#
        do {
            _ = try WireCodec.decodeHeader(Data(json.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.description == #"'v' must be the number 1, not a string: send "v":1"#)
        }
    }
}
