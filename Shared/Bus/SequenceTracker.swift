import SpasmSchema

/// Subscriber-side loss accounting: per sender and topic, sequence numbers rise by one within
/// an epoch; a jump is a gap (messages lost between sender and here), a new epoch is a
/// restart. (Senders number each topic separately, so prefix filtering causes no false gaps.)
public struct SequenceTracker: Sendable {
    /// What one message told us.
    public enum Verdict: Equatable, Sendable {
        case inOrder
        case firstFromSender
        case restarted
        case gap(missing: UInt64)
        case duplicateOrOld
    }

    private struct SenderState: Sendable {
        var epoch: UInt32
        var lastSeq: UInt64
    }

    /// A sender's run on one topic (topic "" when the caller does not say).
    private struct RunKey: Hashable, Sendable {
        var source: String
        var topic: String
    }

    private var senders: [RunKey: SenderState] = [:]
    /// Messages missing in total, by sender.
    public private(set) var missingBySource: [String: UInt64] = [:]
    public private(set) var totalMissing: UInt64 = 0
    public private(set) var duplicates: UInt64 = 0

    public init() {}

    public mutating func observe(source: String, topic: String = "", epoch: UInt32, seq: UInt64) -> Verdict {
        let key = RunKey(source: source, topic: topic)
        guard let state = senders[key] else {
            senders[key] = SenderState(epoch: epoch, lastSeq: seq)
            return .firstFromSender
        }
        if state.epoch != epoch {
            senders[key] = SenderState(epoch: epoch, lastSeq: seq)
            return .restarted
        }
        if seq == state.lastSeq &+ 1 {
            senders[key]!.lastSeq = seq
            return .inOrder
        }
        if seq > state.lastSeq {
            let missing = seq - state.lastSeq - 1
            senders[key]!.lastSeq = seq
            missingBySource[source, default: 0] += missing
            totalMissing += missing
            return .gap(missing: missing)
        }
        duplicates += 1
        return .duplicateOrOld
    }

    public mutating func observe(_ header: EnvelopeHeader, topic: String) -> Verdict {
        observe(source: header.source, topic: topic, epoch: header.epoch, seq: header.seq)
    }
}
