import ArgumentParser
import Foundation
import SpasmConfig
import SpasmNotify
import SpasmRuntime
import SpasmSchema
import SpasmSync

/// A command line split into words, with '…' and "…" quoting and backslash escapes, as a
/// shell would (no variables, no globbing).
enum CommandWords {
    static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for ch in text {
            if escaped {
                word.append(ch)
                escaped = false
                inWord = true
                continue
            }
            if ch == "\\" && quote != "'" {
                escaped = true
                continue
            }
            if let q = quote {
                if ch == q { quote = nil } else { word.append(ch) }
                continue
            }
            if ch == "'" || ch == "\"" {
                quote = ch
                inWord = true
                continue
            }
            if ch.isWhitespace {
                if inWord {
                    words.append(word)
                    word = ""
                    inWord = false
                }
                continue
            }
            word.append(ch)
            inWord = true
        }
        if quote != nil || escaped { throw ValidationError("--command \(text): a quote is not closed") }
        if inWord { words.append(word) }
        return words
    }
}
