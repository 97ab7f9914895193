import SpasmSync

/// Named counters a service reports in its heartbeat ("accepted", "rejected.range", ...).
/// Safe to bump from any thread.
public final class CounterSet: Sendable {
    private let values = Locked<[String: Int64]>([:])

    public init() {}

    public func add(_ name: String, _ amount: Int64 = 1) {
        values.withLock { $0[name, default: 0] += amount }
    }

    public func set(_ name: String, _ value: Int64) {
        values.withLock { $0[name] = value }
    }

    public subscript(_ name: String) -> Int64 {
        values.withLock { $0[name] ?? 0 }
    }

    public var snapshot: [String: Int64] {
        values.withLock { $0 }
    }
}
