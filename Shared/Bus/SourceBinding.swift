import Foundation
import SpasmErrors

/// What a service key may publish on tcp (issue 12, point 7). The bus's publish side admits
/// only service keys (`KeyRole.domains`), and the broker checks every message against the
/// key's name, which the ZAP handler gave as the message's user id:
///
/// - **Source**: a service key's name is the service it speaks for. Its envelopes must carry
///   `source` NAME or NAME-… (an instance: `detect-0`). The CLI's key, `cli`, also speaks for
///   the CLI's other senders, `demo` (seed-demo) and `bench`.
/// - **Reserved topics**: a topic docs/wire-format.md gives to one of our services may be
///   published only with that service's key (`reservedTopics`).
///
/// Anything else (a topic of its own, e.g. `heartbeat.my-consumer` or `myapp.status`) a
/// service key may publish under its own source.
public enum SourceBinding {
    /// The names of our own services' keys (`BusSecurity.load`): the short service name.
    public static let cliKey = "cli"

    /// Topic prefix → the keys that may publish it, longest prefixes first.
    public static let reservedTopics: [(prefix: String, keys: Set<String>)] = [
        ("heartbeat.spasmwatch-", []),  // each service's own: checked by name below
        ("sensor.", ["sensor"]),
        ("manual.", ["manual", cliKey]),
        ("episode.", ["detect", cliKey]),
        ("alert.", ["detect", "notify", cliKey]),
        ("acknowledgement", ["manual", cliKey]),
        ("delivery.", ["notify"]),
        ("stored.", ["store"]),
    ]

    /// Whether key `key` may publish on `topic` a message whose envelope says `source`: nil,
    /// or why not (a `refusal.*` code, whose `reason` is the counter's suffix, and the sentence logged).
    public static func check(key: String?, topic: String, source: String) -> SpasmError? {
        guard let key, !key.isEmpty else {
            return SpasmError(.refusedNoKey, "a message without a key name (ZAP user id) is not forwarded")
        }
        if !speaks(key: key, for: source) {
            return SpasmError(
                .refusedSource,
                "key '\(key)' may not send as source '\(source)'; its envelopes must carry source '\(key)' or '\(key)-…'")
        }
        if topic.hasPrefix("heartbeat.spasmwatch-") {
            if topic == "heartbeat.spasmwatch-\(key)" { return nil }
            return SpasmError(
                .refusedTopic, "topic '\(topic)' is reserved for that service's own key; key '\(key)' may publish heartbeat.spasmwatch-\(key) only")
        }
        if let reserved = reservedTopics.first(where: { topic.hasPrefix($0.prefix) }), !reserved.keys.contains(key) {
            return SpasmError(
                .refusedTopic,
                "topic '\(topic)' is reserved for the keys \(reserved.keys.sorted().joined(separator: ", ")); key '\(key)' may not publish it")
        }
        return nil
    }

    /// A key speaks for its own name and its instances (NAME-…).
    static func speaks(key: String, for source: String) -> Bool {
        if source == key { return true }
        if source.hasPrefix(key), source.utf8.count > key.utf8.count,
            source.utf8[source.utf8.index(source.utf8.startIndex, offsetBy: key.utf8.count)] == UInt8(ascii: "-")
        {
            return true
        }
        return key == cliKey && (source == "demo" || source == "bench")
    }
}

extension SpasmError.Code {
    /// A message the broker does not forward (counted `bus.refused.<reason>`).
    public static let refusedNoKey = SpasmError.Code("refusal.no-key")
    public static let refusedSource = SpasmError.Code("refusal.source")
    public static let refusedTopic = SpasmError.Code("refusal.topic")
    public static let refusedMalformed = SpasmError.Code("refusal.malformed")
}
