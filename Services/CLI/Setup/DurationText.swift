import ArgumentParser
import Foundation
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import SpasmSync

/// Durations as people type them: "90s", "2m", "1m30s", "1h", or plain seconds "90".
enum DurationText {
    /// Exact words for a delay someone set: "90 seconds", "2 minutes", "2 minutes 30 seconds".
    static func words(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        func unit(_ n: Int, _ name: String) -> String { n == 1 ? "1 \(name)" : "\(n) \(name)s" }
        if s < 120 { return unit(s, "second") }
        let (h, m, rest) = (s / 3600, (s % 3600) / 60, s % 60)
        return [h > 0 ? unit(h, "hour") : nil, m > 0 ? unit(m, "minute") : nil, rest > 0 ? unit(rest, "second") : nil]
            .compactMap { $0 }.joined(separator: " ")
    }

    static func parse(_ text: String, option: String) throws -> Double {
        let problem = ValidationError("\(option) \(text): expected a duration such as 90s, 2m or 1m30s")
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Double(trimmed) {
            guard seconds > 0, seconds.isFinite else { throw problem }
            return seconds
        }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var total = 0.0
        var number = ""
        var sawUnit = false
        for ch in trimmed {
            if ch.isNumber || ch == "." {
                number.append(ch)
            } else if let unit = units[ch], let value = Double(number) {
                total += value * unit
                number = ""
                sawUnit = true
            } else {
                throw problem
            }
        }
        guard sawUnit, number.isEmpty, total > 0 else { throw problem }
        return total
    }
}
