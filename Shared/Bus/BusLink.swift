import Foundation
import SpasmSync

/// Whether what a service publishes reaches the bus right now, for a service that must not
/// say "accepted" for messages PUB would drop (sensor ingestion). Connected means both:
/// the publisher's socket monitor shows a live connection, and the bus's own heartbeat was
/// heard within `window` seconds (so the bus forwards, not just accepts connections).
public final class BusLink: Sendable {
    let publisher: BusPublisher
    /// Seconds a bus heartbeat counts as recent: 3, or three heartbeat intervals if longer.
    public let window: Double
    /// Monotonic time (ns) the bus's heartbeat was last heard; 0 before the first.
    private let lastBeat = Locked<UInt64>(0)

    public init(publisher: BusPublisher, heartbeatSeconds: Double = 1) {
        self.publisher = publisher
        window = max(3, 3 * heartbeatSeconds)
    }

    /// Records a heartbeat of the bus (`heartbeat.spasmwatch-bus`).
    public func heard(atUptimeNanoseconds now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        lastBeat.withLock { $0 = max($0, now) }
    }

    /// Nil while connected; otherwise what is missing, in words.
    public func problem(atUptimeNanoseconds now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> String? {
        if !publisher.isConnected { return "the bus (spasmwatch-bus) is not connected" }
        let last = lastBeat.withLock { $0 }
        if last == 0 { return "the bus (spasmwatch-bus) has not been heard yet" }
        let age = Double(now &- last) / 1e9
        if age > window { return "the bus (spasmwatch-bus) has not sent a heartbeat for \(Int(age)) s" }
        return nil
    }

    public var isConnected: Bool { problem() == nil }
}
