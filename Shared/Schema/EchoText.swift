/// A value quoted in an error message: as sent when short, else its start and its length,
/// so a refusal names what was wrong without carrying a long input back.
public enum EchoText {
    /// `'left-elbow'`, or `'aaaaaaaa…' (5000 characters)` past `limit` characters.
    public static func quoted(_ text: String, limit: Int = 64) -> String {
        let count = text.count
        guard count > limit else { return "'\(text)'" }
        return "'\(text.prefix(limit / 2))…' (\(count) characters)"
    }
}
