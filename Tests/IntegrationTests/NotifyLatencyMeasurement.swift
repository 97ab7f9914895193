import Foundation
import SpasmSchema
import SpasmSync
import SpasmTestSupport
import Testing

/// A measurement, not a check (run with SPASMWATCH_MEASURE=1): a fall published on the bus
/// until the person's webhook and, after the set delay without an answer, the caregiver's
/// webhook receive it. Prints p50 and max.
@Suite("Notify latency", .serialized)
struct NotifyLatencyMeasurement {
    typealias P = NotifyProcessTests

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SPASMWATCH_MEASURE"] == "1"))
    func fallToPersonAndCaregiverWebhook() async throws {
        let home = try TestSupport.temporaryHome("notify-latency")
        defer { try? FileManager.default.removeItem(at: home) }
        let arrivals = Locked<[Double]>([])
        let personArrivals = Locked<[Double]>([])
        let person = try await TinyHTTPServer { _ in
            personArrivals.withLock { $0.append(Date().timeIntervalSince1970) }
            return 200
        }
        let caregiver = try await TinyHTTPServer { _ in
            arrivals.withLock { $0.append(Date().timeIntervalSince1970) }
            return 200
        }
        defer {
            person.stop()
            caregiver.stop()
        }
        let delay = 2.0
        try P.write(
            """
            {"receivers": [{"name": "me", "isPerson": true, "channels": [{"type": "webhook", "url": "\(person.url)"}]},
                           {"name": "anna", "channels": [{"type": "webhook", "url": "\(caregiver.url)"}]}],
             "routes": [{"match": {"kinds": ["fall"]}, "receivers": ["me", "anna"], "escalateAfterSeconds": \(delay)}]}
            """, to: home)
        let bus = try ChildProcess("spasmwatch-bus", home: home)
        #expect(await bus.waitForOutput("bus running"))
        let notify = try ChildProcess("spasmwatch-notify", home: home)
        #expect(await notify.waitForOutput("started"))
        let client = try P.TestBus(home: home, prefixes: [Topic.deliveryPrefix])
        defer { client.close() }
        let warmUp = P.fall()
        #expect(
            await P.eventually {
                try? client.publish(warmUp)
                return !person.received.isEmpty
            })
        #expect(await P.eventually { arrivals.withLock { $0.count } == 1 })

        var toPerson: [Double] = []
        var toCaregiver: [Double] = []
        for _ in 0..<20 {
            let before = person.received.count
            let caregiverBefore = arrivals.withLock { $0.count }
            let sent = Date().timeIntervalSince1970
            try client.publish(P.fall(at: sent))
            #expect(await P.eventually { person.received.count > before })
            toPerson.append(personArrivals.withLock { $0.last! } - sent)
            #expect(await P.eventually { arrivals.withLock { $0.count } > caregiverBefore })
            toCaregiver.append(arrivals.withLock { $0.last! } - sent)
        }
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(format: "p50 %.0f ms, max %.0f ms", sorted[sorted.count / 2] * 1000, sorted.last! * 1000)
        }
        print("MEASURED fall -> person webhook (request received): \(summary(toPerson))")
        print("MEASURED fall -> caregiver webhook, escalateAfterSeconds \(delay): \(summary(toCaregiver))")
        await notify.stop()
        await bus.stop()
    }
}
