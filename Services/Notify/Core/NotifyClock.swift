import Foundation
import SpasmSync

/// Where notification logic reads "now" (Unix seconds). Tests use `ManualClock` to step
/// through grouping windows, quiet hours and escalation without waiting.
public protocol NotifyClock: Sendable {
    var now: Double { get }
}

/// The real wall clock.
public struct SystemClock: NotifyClock {
    public init() {}
    public var now: Double { Date().timeIntervalSince1970 }
}

/// A clock that only moves when told to.
public final class ManualClock: NotifyClock {
    private let value: Locked<Double>

    public init(_ start: Double) { value = Locked(start) }

    public var now: Double { value.withLock { $0 } }

    public func advance(by seconds: Double) { value.withLock { $0 += seconds } }

    public func set(_ time: Double) { value.withLock { $0 = time } }
}
