import Foundation
import Logging
import SpasmBus
import SpasmErrors
import SpasmSchema
import ZeroMQ

/// The broker's check on tcp (issue 12, point 7): each message from a publisher is forwarded
/// only when its envelope's `source` and its topic belong to the key that sent it
/// (`SourceBinding`). A refused message is dropped, counted `bus.refused.<reason>` (in the
/// bus's heartbeat) and logged with the key's name, at most once per key every 10 s.
/// Owned by the proxy thread: no locks.
struct SourceGate {
    let counters: CounterSet
    let logger: Logger
    var logInterval: Double = 10
    /// Per key: when a refusal was last logged, and how many were refused since then.
    private var logged: [String: (at: Double, since: Int)] = [:]

    init(counters: CounterSet, logger: Logger) {
        self.counters = counters
        self.logger = logger
    }

    /// Whether `parts` (`[topic][envelope][payload?]`) sent with key `userId` may be forwarded.
    mutating func admits(_ parts: [Data], userId: String?) -> Bool {
        guard let refusal = Self.refusal(parts, userId: userId) else { return true }
        counters.add("bus.refused")
        counters.add("bus.refused.\(refusal.reason)")
        note(refusal, key: userId ?? "", topic: parts.first.map { String(decoding: $0.prefix(200), as: UTF8.self) } ?? "")
        return false
    }

    static func refusal(_ parts: [Data], userId: String?) -> SpasmError? {
        guard parts.count >= 2 else {
            return SpasmError(.refusedMalformed, "expected [topic][envelope JSON][payload?], got \(parts.count) part(s)")
        }
        let topic = String(decoding: parts[0], as: UTF8.self)
        // The fast reader first; WireCodec falls back to JSONDecoder only for unusual headers.
        guard let header = EnvelopeHeader.fastDecode(parts[1]) ?? (try? WireCodec.decodeHeader(parts[1])) else {
            return SpasmError(.refusedMalformed, "the envelope's header cannot be read, so its source cannot be checked")
        }
        return SourceBinding.check(key: userId, topic: topic, source: header.source)
    }

    private mutating func note(_ refusal: SpasmError, key: String, topic: String) {
        let now = Date().timeIntervalSince1970
        if let last = logged[key], now - last.at < logInterval {
            logged[key] = (last.at, last.since + 1)
            return
        }
        let suppressed = logged[key]?.since ?? 0
        if logged.count > 1000 { logged.removeAll() }
        logged[key] = (now, 0)
        logger.warning(
            "refused a message: not forwarded",
            metadata: [
                "key": "\(key)", "topic": "\(topic)", "reason": "\(refusal.reason)", "error": "\(refusal.message)",
                "refused_since_last_log": "\(suppressed)",
            ])
    }
}
