/// The closest of a list of allowed words to what a person typed, for "did you mean …?".
/// Compares whole words, as typed and as listed (callers normalise case and separators first).
public enum Spelling {
    /// Edits that turn `a` into `b`: a letter inserted, deleted, replaced, or two neighbours
    /// swapped ("lfet" for "left" is one edit). Optimal string alignment distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { current[j] = min(current[j], before[j - 2] + 1) }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }

    /// The one word in `words` that `typed` was most likely meant to be: the only word that
    /// starts with it (3 letters or more), or else the only word closest to it within at most
    /// 2 edits, and 1 for words shorter than 6 letters ("bak" → "back", but "xx" → nothing).
    /// Nil when nothing is that close, or two words are as close.
    public static func closest(to typed: String, among words: [String]) -> String? {
        // Bounded work for any input: text longer than every word by more than 2 is far from all.
        guard !words.contains(typed), typed.count <= (words.map(\.count).max() ?? 0) + 2 else { return nil }
        if typed.count >= 3 {
            let starting = words.filter { $0.hasPrefix(typed) }
            if starting.count == 1 { return starting[0] }
            if starting.count > 1 { return nil }
        }
        let limit = min(2, typed.count / 3)
        guard limit > 0 else { return nil }
        let scored = words.map { (word: $0, edits: distance(typed, $0)) }.filter { $0.edits <= limit }
        guard let best = scored.map(\.edits).min() else { return nil }
        let closest = scored.filter { $0.edits == best }
        return closest.count == 1 ? closest[0].word : nil
    }
}
