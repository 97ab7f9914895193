import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema

/// What a person types on the command line, read into entry fields with the same rules
/// (and the same sentences) as the manual service and the phone page.
enum DiaryInput {
    /// "2" or "moderate".
    static func severity(_ text: String) throws(SpasmError) -> Int {
        let words = ["mild": 1, "moderate": 2, "severe": 3]
        if let n = words[text.trimmingCharacters(in: .whitespaces).lowercased()] { return n }
        let n = try whole(text, name: "severity", field: "spasm.severity", hint: "1 mild, 2 moderate, 3 severe")
        try DiaryRules.severity(n)
        return n
    }

    static func pain(_ text: String) throws(SpasmError) -> Int {
        let n = try whole(text, name: "pain", field: "spasm.pain", hint: "0–10")
        try DiaryRules.pain(n)
        return n
    }

    static func nrs(_ text: String) throws(SpasmError) -> Int {
        let n = try whole(text, name: "nrs", field: "checkin.nrs", hint: "0–10")
        try DiaryRules.nrs(n)
        return n
    }

    static func psfs(_ text: String) throws(SpasmError) -> Int {
        let n = try whole(text, name: "psfs", field: "checkin.psfs", hint: "0–4")
        try DiaryRules.psfs(n)
        return n
    }

    static func sleep(_ text: String) throws(SpasmError) -> Int {
        let n = try whole(text, name: "sleep", field: "checkin.sleepQuality", hint: "0–10")
        try DiaryRules.sleepQuality(n)
        return n
    }

    static func whole(_ text: String, name: String, field: String, hint: String) throws(SpasmError) -> Int {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw SpasmError.diaryInvalid(field: field, "\(name) '\(text)' is not a whole number; allowed: \(hint)")
        }
        return n
    }

    /// "heat,stress" or repeated flags.
    static func triggers(_ values: [String]) throws(SpasmError) -> [SpasmTrigger] {
        var out: [SpasmTrigger] = []
        for value in split(values) {
            let t = try DiaryRules.trigger(value)
            if !out.contains(t) { out.append(t) }
        }
        return out
    }

    static func effects(_ values: [String]) throws(SpasmError) -> [SpasmEffect] {
        var out: [SpasmEffect] = []
        for value in split(values) {
            let e = try DiaryRules.effect(value)
            if !out.contains(e) { out.append(e) }
        }
        try DiaryRules.effects(out)
        return out
    }

    static func split(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `--at`, or now.
    static func time(_ text: String?, clock: HomeClock, now: Date = Date()) throws(SpasmError) -> Double {
        guard let text, !text.isEmpty else { return now.timeIntervalSince1970 }
        return try clock.parse(text, now: now).timeIntervalSince1970
    }
}
