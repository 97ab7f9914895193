import Foundation
import SpasmErrors
import SpasmSchema

/// The manual protocol's refusals, in the diary's sentences: the wire types (`ManualReply`,
/// `ShortId`) are in Schema, the error that names the field is the diary's.
extension ManualReply {
    public static func failure(_ error: SpasmError) -> ManualReply {
        ManualReply(ok: false, error: error.message, field: error.detail)
    }
}

extension ShortId {
    /// Picks the one id starting with `prefix`, or explains why not.
    public static func resolve(_ prefix: String, among ids: [UUID], what: String) throws(SpasmError) -> UUID {
        let p = normalize(prefix)
        guard !p.isEmpty else { throw SpasmError.diaryInvalid(field: what, "no \(what) id given") }
        let matches = Array(Set(ids.filter { $0.uuidString.lowercased().hasPrefix(p) }))
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            let longer = p.count > 36 ? ", which is longer than an id (36 characters)" : ""
            throw SpasmError.diaryInvalid(field: what, "no \(what) has an id starting with \(EchoText.quoted(p))\(longer)")
        }
        let shown = matches.map { String($0.uuidString.lowercased().prefix(max(p.count + 4, 8))) }.sorted().joined(separator: ", ")
        throw SpasmError.diaryInvalid(
            field: what,
            "'\(p)' matches \(matches.count) \(what == "entry" ? "entries" : what + "s"): \(shown); type more of the id")
    }
}
