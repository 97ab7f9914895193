import Foundation
import SpasmConfig
import SpasmSchema
import Testing

@testable import spasmwatch

/// Bare `spasmwatch log` accepts what it shows: a menu "1 tonic (stiff)" takes "1", "tonic"
/// and "stiff"; severities, scales and lists by number or by their printed words (issue 18 §11).
@Suite("Interview answers")
struct InterviewAnswerTests {
    /// Answers typed one line at a time; nil (end of input) once they run out.
    final class Script {
        var lines: [String]
        var asked = 0
        init(_ lines: [String]) { self.lines = lines }
        func next() -> String? {
            asked += 1
            return lines.isEmpty ? nil : lines.removeFirst()
        }
    }

    static func interview(_ answers: [String]) throws -> (entry: DiaryEntry?, script: Script) {
        let script = Script(answers)
        let entry = try Interview(clock: HomeClock(timeZone: TimeZone(identifier: "UTC")!), input: script.next).run()
        return (entry, script)
    }

    @Test func aSpasmAnsweredWithTheWordsInBrackets() throws {
        // kind, site, type, severity, pain, duration, when, triggers, effects, note
        let (entry, _) = try Self.interview(["1", "", "stiff", "moderate", "", "", "", "tired, hot", "woke", ""])
        let spasm = try #require(entry?.spasm, "the interview ended with an entry")
        #expect(spasm.type == .tonic)
        #expect(spasm.severity == 2)
        #expect(spasm.triggers == [.tiredness, .heat])
        #expect(spasm.effects == [.wokeMe])
    }

    @Test func aSpasmAnsweredWithNumbersEverywhere() throws {
        let (entry, _) = try Self.interview(["1", "left calf", "2", "3", "5", "45s", "", "4, 3", "2", ""])
        let spasm = try #require(entry?.spasm)
        #expect(spasm.type == .phasic)
        #expect(spasm.severity == 3)
        #expect(spasm.pain == 5)
        #expect(spasm.durationSeconds == 45)
        #expect(spasm.triggers == [.tiredness, .stress])
        #expect(spasm.effects == [.dropped])
    }

    @Test func theOtherTypesByTheirBracketWords() throws {
        #expect(try Self.interview(["spasm", "", "jerk", "mild", "", "", "", "", "", ""]).entry?.spasm?.type == .phasic)
        #expect(try Self.interview(["spasm", "", "Shaking", "1", "", "", "", "", "", ""]).entry?.spasm?.type == .clonus)
        #expect(try Self.interview(["spasm", "", "5", "1", "", "", "", "", "dropped something", ""]).entry?.spasm?.effects == [.dropped])
    }

    @Test func aCheckInByTheWordsOfItsScales() throws {
        let (words, _) = try Self.interview(["check-in", "worst", "only when touched or moved", "very good", ""])
        let checkin = try #require(words?.checkin)
        #expect(checkin.nrs == 10)
        #expect(checkin.psfs == 1)
        #expect(checkin.sleepQuality == 10)

        let (numbers, _) = try Self.interview(["2", "none", "more than 10 an hour", "very poor", ""])
        #expect(numbers?.checkin?.nrs == 0)
        #expect(numbers?.checkin?.psfs == 4)
        #expect(numbers?.checkin?.sleepQuality == 0)

        #expect(try Self.interview(["2", "7", "3", "6", ""]).entry?.checkin?.psfs == 3, "numbers on a scale as ever")
    }

    @Test func aMedicationAndARelapseByNumber() throws {
        // kind, name, dose, action, regimen, supplement, when
        let medication = try #require(try Self.interview(["3", "baclofen", "10mg", "2", "3", "n", ""]).entry?.medication)
        #expect(medication.action == .started)
        #expect(medication.regimen == .asNeeded)
        #expect(medication.dose == 10)

        let relapse = try #require(try Self.interview(["5", "2", "y", ""]).entry?.relapse)
        #expect(relapse.phase == .end)
        #expect(relapse.markedBy == .clinician)
        #expect(try Self.interview(["relapse", "start", "", ""]).entry?.relapse?.phase == .start)
    }

    /// The examples the questions give ("e.g. 10mg, 1 tablet", "20m ago", "1h") are taken too.
    @Test func theQuestionsExamplesAreTaken() throws {
        let tablet = try #require(try Self.interview(["medication", "baclofen", "1 tablet", "", "", "Y", "20m ago"]).entry?.medication)
        #expect(tablet.dose == 1 && tablet.unit == "tablet", "\(tablet)")
        #expect(tablet.supplement)
        #expect(abs(tablet.at - (Date().timeIntervalSince1970 - 1200)) < 60)
        for when in ["03:10", "yesterday 22:00"] {
            #expect(try Self.interview(["4", "walking", "1h", when]).entry?.exercise?.minutes == 60, "\(when)")
        }
        #expect(try Self.interview(["exercise", "physio", "20m", ""]).entry?.exercise?.minutes == 20)
        #expect(try Self.interview(["1", "right-foot", "cramp", "1", "", "2m", "", "", "", ""]).entry?.spasm?.durationSeconds == 120)
    }

    /// An answer that is on no menu is still refused with the rule's sentence, and asked again.
    @Test func anUnknownAnswerIsAskedAgain() throws {
        let (entry, script) = try Self.interview(["1", "", "twitch", "9", "tonic", "2", "", "", "", "", "", ""])
        #expect(entry?.spasm?.type == .tonic, "'twitch' and '9' refused, 'tonic' taken")
        #expect(script.asked == 12, "two answers more than the ten questions: \(script.asked)")
    }

    /// Every number and word a menu prints reads back as its choice.
    @Test func everyMenuReadsBackWhatItShows() {
        let menus: [(String, InterviewMenu)] = [
            ("kind", .kind), ("type", .spasmType), ("severity", .severity), ("triggers", .triggers), ("effects", .effects),
            ("nrs", .nrs), ("psfs", .psfs), ("sleep", .sleep), ("action", .medicationAction), ("regimen", .regimen),
            ("phase", .relapsePhase),
        ]
        for (name, menu) in menus {
            for choice in menu.choices {
                for word in choice.words {
                    #expect(menu.shown.contains(word), "\(name) shows '\(word)'")
                    #expect(menu.read(word) == choice.value, "\(name): '\(word)'")
                    #expect(menu.read(word.uppercased()) == choice.value, "\(name): '\(word.uppercased())'")
                }
                if let number = choice.number {
                    #expect(menu.shown.contains("\(number) \(choice.words[0])"), "\(name) shows \(number)")
                    #expect(menu.read(" \(number) ") == choice.value, "\(name): \(number)")
                }
            }
        }
        #expect(InterviewMenu.spasmType.shown == "1 tonic (stiff), 2 phasic (jerk), 3 clonus (shaking), 4 cramp, 5 unsure")
        #expect(InterviewMenu.nrs.shown == "0 none – 10 worst")
        #expect(InterviewMenu.triggers.read("tired, 1,stressed") == "tiredness,heat,stress")
        #expect(InterviewMenu.spasmType.read("twitch") == "twitch", "unknown answers pass to the rule unchanged")
    }
}
