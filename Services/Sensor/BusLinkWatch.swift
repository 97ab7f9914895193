import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmSchema

/// Feeds the bus's heartbeats to the `BusLink` that decides whether ingestion accepts
/// frames, and logs each change: "bus connected" and "bus unavailable".
struct BusLinkWatch: Service {
    let link: BusLink
    let subscriber: BusSubscriber
    let counters: CounterSet
    let logger: Logger

    func run() async throws {
        let (link, subscriber) = (self.link, self.subscriber)
        let topic = Topic.heartbeat(ServiceName.bus)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in subscriber.messages where message.topic == topic { link.heard() }
                }
                group.addTask {
                    var connected = false
                    while !Task.isCancelled {
                        let problem = link.problem()
                        if (problem == nil) != connected {
                            connected = problem == nil
                            if let problem {
                                counters.add("bus.unavailable_spells")
                                logger.warning("bus unavailable: frames are refused until it is back", metadata: ["why": "\(problem)"])
                            } else {
                                logger.notice("bus connected: accepting frames")
                            }
                        }
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            subscriber.stop()
        }
    }
}
