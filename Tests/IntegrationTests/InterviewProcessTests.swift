import Foundation
import SpasmTestSupport
import Testing

/// Bare `spasmwatch log`, answered with what it shows: the brackets' words ("stiff",
/// "tired") and the menus' numbers (issue 18 §11). The real CLI, its answers on stdin.
@Suite("Interview process", .serialized)
struct InterviewProcessTests {
    @Test func theInterviewTakesTheWordsAndNumbersItPrints() async throws {
        let home = try TestSupport.temporaryHome("interview-words")
        defer { try? FileManager.default.removeItem(at: home) }
        // kind, site, type, severity, pain, duration, when, triggers, effects, note
        let answers = "1\nleft calf\nstiff\n2\n\n\n\ntired, 1\nwoke\n\n"
        let log = try ChildProcess("spasmwatch", ["log", "--interactive"], home: home, stdin: Data(answers.utf8))
        #expect(await log.wait(timeout: 30) == 0, "\(log.stdout) \(log.stderr)")
        #expect(log.stdout.contains("What kind? 1 tonic (stiff), 2 phasic (jerk), 3 clonus (shaking), 4 cramp, 5 unsure"), "\(log.stdout)")
        #expect(log.stdout.contains("4 tiredness (tired)"))
        #expect(!log.stdout.contains("is not a spasm type"), "'stiff' was taken at once: \(log.stdout)")
        #expect(log.stdout.contains("spasm: left calf, tonic, moderate (2), triggers tiredness, heat, caused woke me"), "\(log.stdout)")
    }
}
