/// A question's choices as the interview prints them ("1 tonic (stiff), 2 phasic (jerk)"),
/// and every number or word it prints read back as the value the diary's rules take, so a
/// person can answer with what they see. An answer the menu does not know is passed on
/// unchanged, and the rule's own sentence says what is wrong ("type 'twitch' is not a spasm
/// type; allowed: …"); a number on a scale ("7" on 0–10) likewise.
struct InterviewMenu: Sendable {
    struct Choice: Sendable {
        /// What the diary's rules read: "tonic", "checkin", "2".
        var value: String
        /// The number printed before it, if any.
        var number: Int?
        /// The words printed for it, the first as the name and the others in brackets.
        var words: [String]
        /// Accepted besides, not printed ("checkin" for "check-in").
        var also: [String] = []
    }

    var choices: [Choice]
    /// Between choices when printed: ", " for a list, " – " for a scale's two ends.
    var separator = ", "
    /// A comma-separated answer names several choices (triggers, effects).
    var several = false

    /// "1 tonic (stiff), 2 phasic (jerk), 3 clonus (shaking), 4 cramp, 5 unsure".
    var shown: String {
        choices.map { choice in
            let number = choice.number.map { "\($0) " } ?? ""
            let more = choice.words.dropFirst()
            return number + (choice.words.first ?? choice.value) + (more.isEmpty ? "" : " (\(more.joined(separator: ", ")))")
        }.joined(separator: separator)
    }

    /// The value for `answer`: a choice's number or any of its words (case, spaces, hyphens
    /// and underscores aside), each comma-separated part for a menu of several; else `answer`.
    func read(_ answer: String) -> String {
        guard several else { return value(of: answer) ?? answer }
        return answer.split(separator: ",", omittingEmptySubsequences: false).map { part in
            value(of: String(part)) ?? String(part)
        }.joined(separator: ",")
    }

    private func value(of part: String) -> String? {
        let key = Self.key(part)
        guard !key.isEmpty else { return nil }
        return choices.first { choice in
            choice.number.map(String.init) == key || (choice.words + choice.also + [choice.value]).contains { Self.key($0) == key }
        }?.value
    }

    /// "Dropped_Something " and "dropped something" and "dropped-something" alike.
    static func key(_ text: String) -> String {
        text.lowercased().split { $0 == " " || $0 == "-" || $0 == "_" || $0 == "\t" }.joined(separator: " ")
    }

    /// Numbered choices from 1, each the value followed by its other words.
    static func numbered(_ items: [[String]], several: Bool = false) -> InterviewMenu {
        InterviewMenu(
            choices: items.enumerated().map { Choice(value: $1[0], number: $0 + 1, words: $1) },
            several: several)
    }

    /// A 0–N scale whose ends are named ("0 none – 10 worst").
    static func scale(_ low: String, _ high: String, top: Int) -> InterviewMenu {
        InterviewMenu(
            choices: [Choice(value: "0", number: 0, words: [low]), Choice(value: "\(top)", number: top, words: [high])],
            separator: " – ")
    }
}

/// The interview's menus, one per question with choices (`Interview`).
extension InterviewMenu {
    static let kind = InterviewMenu(choices: [
        Choice(value: "spasm", number: 1, words: ["spasm"]),
        Choice(value: "checkin", number: 2, words: ["check-in"], also: ["checkin"]),
        Choice(value: "medication", number: 3, words: ["medication"], also: ["med"]),
        Choice(value: "exercise", number: 4, words: ["exercise"]),
        Choice(value: "relapse", number: 5, words: ["relapse"]),
    ])
    static let spasmType = numbered([["tonic", "stiff"], ["phasic", "jerk"], ["clonus", "shaking"], ["cramp"], ["unsure"]])
    static let severity = InterviewMenu(choices: [
        Choice(value: "1", number: 1, words: ["mild"]), Choice(value: "2", number: 2, words: ["moderate"]),
        Choice(value: "3", number: 3, words: ["severe"]),
    ])
    static let triggers = numbered(
        [
            ["heat", "hot"], ["cold"], ["stress", "stressed"], ["tiredness", "tired"], ["infection"], ["bladder"], ["posture"],
            ["stretch"], ["inactivity"],
        ], several: true)
    static let effects = numbered([["fall"], ["dropped-something", "dropped"], ["woke-me", "woke"], ["none"]], several: true)
    static let nrs = scale("none", "worst", top: 10)
    static let psfs = InterviewMenu(
        choices: [
            "none", "only when touched or moved", "less than once an hour", "once an hour or more", "more than 10 an hour",
        ].enumerated().map { Choice(value: "\($0)", number: $0, words: [$1]) })
    static let sleep = scale("very poor", "very good", top: 10)
    static let medicationAction = numbered([["taken"], ["started"], ["stopped"], ["changed"]])
    static let regimen = numbered([["regular"], ["short-course"], ["as-needed"]])
    static let relapsePhase = numbered([["start"], ["end"]])
}
