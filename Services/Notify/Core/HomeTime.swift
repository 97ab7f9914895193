import Foundation
import SpasmConfig

/// The home's local time for quiet hours, rule windows and the times people read. Uses the
/// calendar of the configured zone (`timeZone`, else the system's), so daylight-saving
/// changes move wall-clock times correctly instead of shifting by an hour.
public struct HomeTime: Sendable {
    public let calendar: Calendar

    public init(timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The zone from the configuration; an unknown name is an error naming the setting.
    public init(configuration: Configuration) throws {
        if configuration.timeZone.isEmpty {
            self.init(timeZone: .current)
        } else if let zone = TimeZone(identifier: configuration.timeZone) {
            self.init(timeZone: zone)
        } else {
            throw NotifyConfigError("timeZone '\(configuration.timeZone)' is not an IANA time zone (e.g. Europe/Berlin)")
        }
    }

    public var timeZone: TimeZone { calendar.timeZone }

    /// Minutes since local midnight at `time` (0–1439).
    public func minuteOfDay(_ time: Double) -> Int {
        let c = calendar.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: time))
        return (c.hour ?? 0) * 60 + (c.minute ?? 0)
    }

    /// The first instant after `time` when the local clock shows `minuteOfDay`. On a
    /// spring-forward day a skipped time becomes the first minute after the gap.
    public func next(minuteOfDay: Int, after time: Double) -> Double {
        let components = DateComponents(hour: minuteOfDay / 60, minute: minuteOfDay % 60, second: 0)
        let date = calendar.nextDate(after: Date(timeIntervalSince1970: time), matching: components,
                                     matchingPolicy: .nextTime, direction: .forward)
        return date?.timeIntervalSince1970 ?? time + 86_400
    }

    /// "14:32" today, "yesterday 23:50", or "Mon 24 Nov 09:10" further back, in local time.
    public func describe(_ time: Double, now: Double) -> String {
        let date = Date(timeIntervalSince1970: time), today = Date(timeIntervalSince1970: now)
        let clock = format("HH:mm", date)
        if calendar.isDate(date, inSameDayAs: today) { return clock }
        if let yesterday = calendar.date(byAdding: .day, value: -1, to: today), calendar.isDate(date, inSameDayAs: yesterday) {
            return "yesterday \(clock)"
        }
        return format("EEE d MMM HH:mm", date)
    }

    func format(_ pattern: String, _ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.calendar = calendar
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}

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
            throw NotifyConfigError("\(what): '\(value)' is not a local time like 22:00")
        }
    }

    /// True when `time` falls inside the window, in local time.
    public func contains(_ time: Double, in home: HomeTime) -> Bool {
        guard let s = Self.minutes(start), let e = Self.minutes(end), s != e else { return false }
        let m = home.minuteOfDay(time)
        return s < e ? (m >= s && m < e) : (m >= s || m < e)
    }

    /// When the window that contains `time` ends.
    public func end(after time: Double, in home: HomeTime) -> Double {
        home.next(minuteOfDay: Self.minutes(end) ?? 0, after: time)
    }
}

/// A problem in the notification settings or rules file, in words.
public struct NotifyConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
