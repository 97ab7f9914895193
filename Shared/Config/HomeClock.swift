import Foundation
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema

/// The home's local time: the configured IANA zone (`timeZone`), else the system's. Reads
/// what a person types for "when" (`03:10`, `yesterday 22:00`), writes times back the same
/// way, and places quiet hours and rule windows; daylight-saving changes are handled by the
/// calendar, never by adding hours.
public struct HomeClock: Sendable {
    public let timeZone: TimeZone
    public let calendar: Calendar

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The home's zone from the configuration (checked when it loaded).
    public init(configuration: Configuration) {
        self.init(timeZone: configuration.timeZone.zone)
    }

    /// Minutes since local midnight at `time` (0–1439).
    public func minuteOfDay(_ time: Double) -> Int {
        let c = calendar.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: time))
        return (c.hour ?? 0) * 60 + (c.minute ?? 0)
    }

    /// The first instant after `time` when the local clock shows `minuteOfDay`. On a
    /// spring-forward day a skipped time becomes the first minute after the gap.
    public func next(minuteOfDay: Int, after time: Double) -> Double {
        let components = DateComponents(hour: minuteOfDay / 60, minute: minuteOfDay % 60, second: 0)
        let date = calendar.nextDate(
            after: Date(timeIntervalSince1970: time), matching: components,
            matchingPolicy: .nextTime, direction: .forward)
        return date?.timeIntervalSince1970 ?? time + 86_400
    }

    static let atHelp = "use e.g. 03:10, 3am, \"yesterday 22:00\", \"last night 23:00\", \"2026-11-24 22:00\" or \"20m ago\""

    /// Reads "now", "HH:MM" or "3am", "3 pm", "3:15pm" (today, or yesterday when that is still
    /// ahead), "today HH:MM", "yesterday HH:MM", "last night 23:00" (yesterday evening, or after
    /// midnight today for 00:00–05:59), "this morning 7:30", "YYYY-MM-DD HH:MM", "20m ago",
    /// "10 min ago", "2h ago". A wall-clock time that
    /// does not exist (skipped by a spring-forward change) becomes the next existing minute;
    /// one that happens twice (autumn) is the first.
    public func parse(_ text: String, now: Date = Date(), field: String = "at") throws(SpasmError) -> Date {
        let bad = SpasmError.diaryInvalid(field: field, "at '\(text)' is not a time; \(Self.atHelp)")
        var words = Self.joiningAmPm(text.trimmingCharacters(in: .whitespaces).lowercased().split(separator: " ").map(String.init))
        if words.count == 3, words[0] == "last", words[1] == "night", let (h, m) = Self.clock(words[2]) {
            let today = calendar.startOfDay(for: now)
            return try wallClock(day: h < 6 ? today : dayBefore(today), hour: h, minute: m, text: text, field: field)
        }
        if words.count == 3, words[0] == "this", ["morning", "afternoon", "evening"].contains(words[1]) { words = ["today", words[2]] }
        guard let first = words.first else { throw bad }
        if words == ["now"] { return now }
        if words.last == "ago" {
            let amount = words.dropLast().joined()
            guard let seconds = Quantities.seconds(amount, bareUnit: 60) else { throw bad }
            return now.addingTimeInterval(-seconds)
        }
        let today = calendar.startOfDay(for: now)
        if words.count == 1, let (h, m) = Self.clock(first) {
            let candidate = try wallClock(day: today, hour: h, minute: m, text: text, field: field)
            // "03:10" typed at 08:00 is this morning; typed at 02:00 it was last night.
            if candidate.timeIntervalSince(now) > DiaryRules.futureSlackSeconds {
                return try wallClock(day: dayBefore(today), hour: h, minute: m, text: text, field: field)
            }
            return candidate
        }
        if words.count == 2, let (h, m) = Self.clock(words[1]) {
            switch first {
            case "today": return try wallClock(day: today, hour: h, minute: m, text: text, field: field)
            case "yesterday": return try wallClock(day: dayBefore(today), hour: h, minute: m, text: text, field: field)
            default:
                guard let day = date(first) else { throw bad }
                return try wallClock(day: day, hour: h, minute: m, text: text, field: field)
            }
        }
        if words.count == 1, words[0].contains("t") {
            let parts = words[0].split(separator: "t").map(String.init)
            if parts.count == 2, let day = date(parts[0]), let (h, m) = Self.clock(parts[1]) {
                return try wallClock(day: day, hour: h, minute: m, text: text, field: field)
            }
        }
        throw bad
    }

    /// ["3", "am"] → ["3am"], so "3 am" reads as "3am" does.
    static func joiningAmPm(_ words: [String]) -> [String] {
        var out: [String] = []
        for word in words {
            if ["am", "pm", "a.m.", "p.m."].contains(word), let last = out.last, last.first?.isNumber == true {
                out[out.count - 1] = last + word.replacingOccurrences(of: ".", with: "")
            } else {
                out.append(word)
            }
        }
        return out
    }

    /// "03:10" → (3, 10); "3am" → (3, 0), "3:15pm" → (15, 15), "12am" → (0, 0), "12pm" → (12, 0).
    static func clock(_ text: String) -> (Int, Int)? {
        for (suffix, offset) in [("am", 0), ("pm", 12)] where text.hasSuffix(suffix) {
            let digits = String(text.dropLast(2))
            let (h, m): (Int, Int)
            if let hour = Int(digits) { (h, m) = (hour, 0) } else if let (hh, mm) = clock(digits) { (h, m) = (hh, mm) } else { return nil }
            guard (1...12).contains(h) else { return nil }
            return (h % 12 + offset, m)
        }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m),
            parts[1].count == 2
        else { return nil }
        return (h, m)
    }

    /// "2026-11-24" → the start of that local day.
    func date(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let mo = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        var comps = DateComponents()
        comps.year = y
        comps.month = mo
        comps.day = d
        comps.hour = 12
        guard let noon = calendar.date(from: comps), calendar.component(.day, from: noon) == d else { return nil }
        return calendar.startOfDay(for: noon)
    }

    func dayBefore(_ dayStart: Date) -> Date {
        // Noon of the day before, then its start: correct across 23- and 25-hour days.
        let noon = calendar.date(byAdding: .hour, value: 12, to: dayStart)!
        return calendar.startOfDay(for: calendar.date(byAdding: .day, value: -1, to: noon)!)
    }

    /// The instant the home's wall clock shows `hour:minute` on the day starting at `day`.
    func wallClock(day: Date, hour: Int, minute: Int, text: String, field: String) throws(SpasmError) -> Date {
        guard
            let date = calendar.nextDate(
                after: day.addingTimeInterval(-1), matching: DateComponents(hour: hour, minute: minute),
                matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward)
        else {
            throw SpasmError.diaryInvalid(field: field, "at '\(text)' is not a time; \(Self.atHelp)")
        }
        return date
    }

    /// "03:10" today, "yesterday 22:00", "Mon 24 Nov 22:00": how times are shown to people.
    public func describe(_ time: Double, now: Double) -> String {
        describe(time, now: Date(timeIntervalSince1970: now))
    }

    /// "03:10" today, "yesterday 22:00", "Mon 24 Nov 22:00": how times are shown to people.
    public func describe(_ time: Double, now: Date = Date()) -> String {
        let date = Date(timeIntervalSince1970: time)
        let hm = String(format: "%02d:%02d", calendar.component(.hour, from: date), calendar.component(.minute, from: date))
        let today = calendar.startOfDay(for: now)
        let day = calendar.startOfDay(for: date)
        if day == today { return hm }
        if day == dayBefore(today) { return "yesterday \(hm)" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "EEE d MMM"
        return "\(formatter.string(from: date)) \(hm)"
    }
}

/// Amounts people type: durations ("45s", "1m30s", "2 min"), doses ("10mg", "1 tablet").
public enum Quantities {
    /// Seconds in "45s", "2m", "1m30s", "1.5h", "90 sec"; a bare number counts in `bareUnit` seconds.
    public static func seconds(_ text: String, bareUnit: Double) -> Double? {
        let s = text.lowercased().replacingOccurrences(of: " ", with: "")
        guard !s.isEmpty else { return nil }
        if let plain = Double(s) { return plain >= 0 ? plain * bareUnit : nil }
        var total = 0.0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let n = Double(number), !unit.isEmpty else { return false }
            let factor: Double
            switch unit {
            case "s", "sec", "secs", "second", "seconds": factor = 1
            case "m", "min", "mins", "minute", "minutes": factor = 60
            case "h", "hr", "hrs", "hour", "hours": factor = 3600
            default: return false
            }
            total += n * factor
            number = ""
            unit = ""
            return true
        }
        for ch in s {
            if ch.isNumber || ch == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(ch)
            } else if ch.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(ch)
            } else {
                return nil
            }
        }
        guard flush() else { return nil }
        return total
    }

    /// A duration for `--duration`, with the error the rules give.
    public static func duration(_ text: String, field: String = "spasm.durationSeconds") throws(SpasmError) -> Double {
        guard let seconds = seconds(text, bareUnit: 1) else {
            throw SpasmError.diaryInvalid(field: field, "duration '\(text)' is not a duration; use e.g. 45s, 2m, 1m30s")
        }
        try DiaryRules.duration(seconds, field: field)
        return seconds
    }

    /// Minutes for an exercise session: "20m", "1h", "20" (minutes).
    public static func minutes(_ text: String, field: String = "exercise.minutes") throws(SpasmError) -> Double {
        guard let seconds = seconds(text, bareUnit: 60) else {
            throw SpasmError.diaryInvalid(field: field, "minutes '\(text)' is not a length of time; use e.g. 20m, 1h, 45")
        }
        let minutes = seconds / 60
        try DiaryRules.minutes(minutes, field: field)
        return minutes
    }

    /// "10mg" → (10, "mg"); "2 tablets" → (2, "tablet"); "500" → (500, nil).
    public static func dose(_ text: String) throws(SpasmError) -> (dose: Double, unit: String?) {
        let s = text.replacingOccurrences(of: " ", with: "")
        let digits = s.prefix { $0.isNumber || $0 == "." || $0 == "," }
        guard let value = Double(digits.replacingOccurrences(of: ",", with: ".")) else {
            throw SpasmError.diaryInvalid(field: "medication.dose", "dose '\(text)' is not a dose; use e.g. 10mg, 500mcg, 1 tablet")
        }
        try DiaryRules.dose(value)
        let rest = String(s.dropFirst(digits.count))
        return (value, rest.isEmpty ? nil : try DiaryRules.doseUnit(rest))
    }
}
