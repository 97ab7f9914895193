import ArgumentParser
import Foundation
import Logging
import SpasmBus
import SpasmConfig
import SpasmRuntime
import ZeroMQ

/// `spasmwatch-bus`: the broker. An XSUB/XPUB proxy at two well-known endpoints: publishers
/// connect to one, subscribers to the other. Only one bus may run per data home.
@main
struct BusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-bus",
        abstract: "The SpasmWatch message broker (ZeroMQ XSUB/XPUB proxy).")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let (home, configuration) = try options.load()
        var logger = Logger(label: "spasmwatch-bus")
        logger[metadataKey: "home"] = "\(home.root.path)"
        let runDirectory = try ServiceEnvironment.prepare(home, configuration: configuration, logger: logger)

        let lock = try BusLock.acquire(home: home, runDirectory: runDirectory)
        let endpoints = Endpoints(home: home, configuration: configuration)
        let context = ZMQContext()
        // The bus heartbeats like every service, through itself (its publisher connects once the proxy binds).
        let environment = try ServiceEnvironment(service: ServiceName.bus, instance: "bus", options: options)
        let security = environment.address.security
        let broker = try Broker.start(context: context, endpoints: endpoints, configuration: configuration,
                                      security: security, home: home, counters: environment.counters, logger: logger)

        environment.counters.set("bus.high_water_mark", Int64(configuration.bus.highWaterMark))
        let heartbeat = environment.heartbeat {
            (["publish": endpoints.busPublish, "subscribe": endpoints.busSubscribe], nil)
        }
        try await environment.run([heartbeat])
        // Services ended: stop the proxy by ending its context, then release the lock.
        await onBlockingPool {
            context.shutdown()
            broker.join()
            context.terminate()
        }
        lock.release()
    }
}
