import Foundation
import SpasmConfig
import SpasmErrors

/// A daily window of local time, "22:00"–"07:00" (may wrap past midnight).
public struct DailyWindow: Codable, Sendable, Equatable {
    public var start: String
    public var end: String

    public init(start: String, end: String) {
        self.start = start
        self.end = end
    }

    /// "HH:MM" → minutes since midnight.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        return h * 60 + m
    }

    /// Throws a readable error when start or end is not "HH:MM".
    public func validate(_ what: String) throws {
        for value in [start, end] where Self.minutes(value) == nil {
            throw SpasmError(.notifyConfig, "\(what): '\(value)' is not a local time like 22:00")
        }
    }

    /// True when `time` falls inside the window, in local time.
    public func contains(_ time: Double, in home: HomeClock) -> Bool {
        guard let s = Self.minutes(start), let e = Self.minutes(end), s != e else { return false }
        let m = home.minuteOfDay(time)
        return s < e ? (m >= s && m < e) : (m >= s || m < e)
    }

    /// When the window that contains `time` ends.
    public func end(after time: Double, in home: HomeClock) -> Double {
        home.next(minuteOfDay: Self.minutes(end) ?? 0, after: time)
    }
}

extension SpasmError.Code {
    /// A problem in the notification settings or rules file, in words: a setting problem.
    public static let notifyConfig = SpasmError.Code("notify.config", settingProblem: true)
}
