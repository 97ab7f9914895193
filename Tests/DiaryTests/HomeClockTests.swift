import Foundation
import SpasmConfig
import SpasmDiary
import SpasmDiaryRules
import SpasmErrors
import SpasmSchema
import Testing

/// `--at` in the home's local time, across daylight-saving changes (Europe/Berlin:
/// 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00).
@Suite("Home clock")
struct HomeClockTests {
    let clock = HomeClock(timeZone: TimeZone(identifier: "Europe/Berlin")!)

    /// A UTC instant from text.
    func utc(_ text: String) -> Date {
        let f = ISO8601DateFormatter()
        return f.date(from: text)!
    }

    @Test func aTimeOfDayIsTodayOrLastNight() throws {
        let morning = utc("2026-11-25T07:00:00Z")  // 08:00 in Berlin
        #expect(try clock.parse("03:10", now: morning) == utc("2026-11-25T02:10:00Z"))
        // At 02:00 local, "03:10" has not happened yet today: it was last night.
        let night = utc("2026-11-25T01:00:00Z")
        #expect(try clock.parse("03:10", now: night) == utc("2026-11-24T02:10:00Z"))
    }

    @Test func yesterdayTodayAndDates() throws {
        let now = utc("2026-11-25T12:00:00Z")
        #expect(try clock.parse("yesterday 22:00", now: now) == utc("2026-11-24T21:00:00Z"))
        #expect(try clock.parse("today 08:30", now: now) == utc("2026-11-25T07:30:00Z"))
        #expect(try clock.parse("2026-07-01 09:15", now: now) == utc("2026-07-01T07:15:00Z"))  // summer time
        #expect(try clock.parse("20m ago", now: now) == now.addingTimeInterval(-1200))
        #expect(try clock.parse("1h30m ago", now: now) == now.addingTimeInterval(-5400))
        #expect(try clock.parse("now", now: now) == now)
    }

    /// What people type (seen refused): "3am", "3 am", "last night 23:00", "10 min ago".
    @Test func whatPeopleType() throws {
        let now = utc("2026-11-25T09:00:00Z")  // 10:00 in Berlin
        #expect(try clock.parse("3am", now: now) == utc("2026-11-25T02:00:00Z"))
        #expect(try clock.parse("3 am", now: now) == utc("2026-11-25T02:00:00Z"))
        #expect(try clock.parse("3 a.m.", now: now) == utc("2026-11-25T02:00:00Z"))
        #expect(try clock.parse("9:45am", now: now) == utc("2026-11-25T08:45:00Z"))
        #expect(try clock.parse("12am", now: now) == utc("2026-11-24T23:00:00Z"))  // midnight
        // 3 pm is still ahead at 10:00: yesterday afternoon, as "15:00" would be.
        #expect(try clock.parse("3pm", now: now) == utc("2026-11-24T14:00:00Z"))
        #expect(try clock.parse("12pm", now: now) == utc("2026-11-24T11:00:00Z"))
        #expect(try clock.parse("yesterday 11 pm", now: now) == utc("2026-11-24T22:00:00Z"))
        #expect(try clock.parse("last night 23:00", now: now) == utc("2026-11-24T22:00:00Z"))
        #expect(try clock.parse("last night 2am", now: now) == utc("2026-11-25T01:00:00Z"))  // after midnight
        #expect(try clock.parse("this morning 7:30", now: now) == utc("2026-11-25T06:30:00Z"))
        #expect(try clock.parse("10 min ago", now: now) == now.addingTimeInterval(-600))
    }

    @Test func daylightSavingChanges() throws {
        // The day after the spring change: "yesterday 22:00" is 22:00 CET (UTC+1), not off by an hour.
        let afterSpring = utc("2026-03-29T10:00:00Z")  // 12:00 CEST
        #expect(try clock.parse("yesterday 22:00", now: afterSpring) == utc("2026-03-28T21:00:00Z"))
        #expect(try clock.parse("01:30", now: afterSpring) == utc("2026-03-29T00:30:00Z"))
        #expect(try clock.parse("04:00", now: afterSpring) == utc("2026-03-29T02:00:00Z"))
        // 02:30 does not exist that night: the next existing minute, 03:00 CEST.
        #expect(try clock.parse("02:30", now: afterSpring) == utc("2026-03-29T01:00:00Z"))
        // Autumn: 02:30 happens twice; the first (CEST) is taken.
        let afterAutumn = utc("2026-10-25T11:00:00Z")
        #expect(try clock.parse("02:30", now: afterAutumn) == utc("2026-10-25T00:30:00Z"))
        #expect(try clock.parse("yesterday 22:00", now: afterAutumn) == utc("2026-10-24T20:00:00Z"))
    }

    @Test func badTimesNameTheFieldAndTheForms() {
        for text in ["25:00", "tomorrow 10:00", "soon", "2026-02-30 10:00", "", "13pm", "0am", "last night", "3 xm"] {
            #expect(
                throws: SpasmError.diaryInvalid(
                    field: "at",
                    "at '\(text)' is not a time; use e.g. 03:10, 3am, \"yesterday 22:00\", \"last night 23:00\", \"2026-11-24 22:00\" or \"20m ago\""
                )
            ) {
                try clock.parse(text, now: utc("2026-11-25T12:00:00Z"))
            }
        }
    }

    @Test func describesTimesTheWayTheyAreTyped() {
        let now = utc("2026-11-25T12:00:00Z")
        #expect(clock.describe(utc("2026-11-25T02:10:00Z").timeIntervalSince1970, now: now) == "03:10")
        #expect(clock.describe(utc("2026-11-24T21:00:00Z").timeIntervalSince1970, now: now) == "yesterday 22:00")
        #expect(clock.describe(utc("2026-11-20T21:00:00Z").timeIntervalSince1970, now: now) == "Fri 20 Nov 22:00")
    }
}

@Suite("Quantities and ids")
struct QuantityTests {
    @Test func durations() throws {
        #expect(try Quantities.duration("45s") == 45)
        #expect(try Quantities.duration("45") == 45)
        #expect(try Quantities.duration("2m") == 120)
        #expect(try Quantities.duration("1m30s") == 90)
        #expect(try Quantities.duration("1.5 min") == 90)
        #expect(try Quantities.minutes("20m") == 20)
        #expect(try Quantities.minutes("1h") == 60)
        #expect(try Quantities.minutes("45") == 45)
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "spasm.durationSeconds",
                "duration 'long' is not a duration; use e.g. 45s, 2m, 1m30s")
        ) {
            try Quantities.duration("long")
        }
        #expect(
            throws: SpasmError.diaryInvalid(
                field: "spasm.durationSeconds",
                "duration 90000s is outside 1 second–24 hours (e.g. 45s, 2m, 1h)")
        ) {
            try Quantities.duration("25h")
        }
    }

    @Test func doses() throws {
        #expect(try Quantities.dose("10mg") == (10, "mg"))
        #expect(try Quantities.dose("2 tablets") == (2, "tablet"))
        #expect(try Quantities.dose("1000iu") == (1000, "IU"))
        #expect(try Quantities.dose("500µg") == (500, "mcg"))
        #expect(try Quantities.dose("2,5 ml") == (2.5, "ml"))
        #expect(try Quantities.dose("500").unit == nil)
        #expect(throws: SpasmError.diaryInvalid(field: "medication.dose", "dose 'lots' is not a dose; use e.g. 10mg, 500mcg, 1 tablet")) {
            try Quantities.dose("lots")
        }
    }

    @Test func shortIdsAndPrefixes() throws {
        let a = UUID(uuidString: "1D6AFB42-FBCF-47C5-B1AC-50765DE48D48")!
        let b = UUID(uuidString: "1D6A0000-FBCF-47C5-B1AC-50765DE48D48")!
        let c = UUID(uuidString: "9F000000-FBCF-47C5-B1AC-50765DE48D48")!
        #expect(ShortId.of(a) == "1d6afb42")
        #expect(try ShortId.resolve("1D6AF", among: [a, b, c], what: "entry") == a)
        #expect(try ShortId.resolve("9", among: [a, b, c], what: "entry") == c)
        #expect(throws: SpasmError.diaryInvalid(field: "entry", "'1d6a' matches 2 entries: 1d6a0000, 1d6afb42; type more of the id")) {
            try ShortId.resolve("1d6a", among: [a, b, c], what: "entry")
        }
        #expect(throws: SpasmError.diaryInvalid(field: "episode", "no episode has an id starting with 'ff'")) {
            try ShortId.resolve("ff", among: [a, b, c], what: "episode")
        }
    }
}
