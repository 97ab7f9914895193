import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmSchema
import ZeroMQ

/// What every service process shares: its home, configuration, ZeroMQ context, bus
/// address, a publisher stamped with its instance name, and its counters.
public final class ServiceEnvironment: Sendable {
    public let service: String
    public let instance: String
    public let home: DataHome
    public let configuration: Configuration
    public let context: ZMQContext
    public let address: BusAddress
    public let endpoints: Endpoints
    public let publisher: BusPublisher
    public let counters = CounterSet()
    public let logger: Logger

    public init(service: String, instance: String, options: CommonOptions) throws {
        let (home, configuration) = try options.load()
        self.service = service
        self.instance = instance
        self.home = home
        self.configuration = configuration
        var logger = Logger(label: service)
        logger[metadataKey: "instance"] = "\(instance)"
        self.logger = logger
        _ = try ServiceEnvironment.prepare(home, configuration: configuration, logger: logger)
        context = ZMQContext()
        // On tcp each service has its own key, named after it ("spasmwatch-store" → "store").
        address = try BusAddress.resolve(home: home, configuration: configuration, key: ServiceName.keyName(service))
        if let note = address.security?.note { logger.notice("\(note)") }
        endpoints = Endpoints(home: home, configuration: configuration)
        publisher = try BusPublisher(context: context, address: address, source: instance,
                                     person: configuration.person, counters: counters, logger: logger)
    }

    /// Makes the home's folders and checks or makes the run directory (refusing one another
    /// user could take over), then takes away what an older home gave to other users, and
    /// says so. Returns the run directory.
    public static func prepare(_ home: DataHome, configuration: Configuration, logger: Logger) throws -> URL {
        let groupAccess = configuration.bus.groupAccess
        try home.prepare(groupAccess: groupAccess)
        let run = try home.prepareRunDirectory(configuration.bus)
        if let note = run.note { logger.warning("\(note)") }
        let tightened = home.tighten(groupAccess: groupAccess, runDirectory: run.url)
        if tightened > 0 {
            logger.notice("tightened \(tightened) files and folders to \(groupAccess ? "owner and group" : "owner-only")",
                          metadata: ["home": "\(home.root.path)"])
        }
        return run.url
    }

    /// A subscriber on this service's context, counting into its counters.
    public func subscribe(_ prefixes: [String], queueCapacity: Int = 50_000) throws -> BusSubscriber {
        try BusSubscriber(context: context, address: address, prefixes: prefixes, counters: counters,
                          queueCapacity: queueCapacity, logger: logger)
    }

    /// The heartbeat for this service.
    public func heartbeat(details: @escaping @Sendable () -> (info: [String: String], sensors: [SensorStatus]?) = { ([:], nil) }) -> HeartbeatService {
        HeartbeatService(service: service, publisher: publisher, counters: counters,
                         intervalSeconds: configuration.bus.heartbeatSeconds, details: details)
    }

    /// Runs services until SIGTERM or SIGINT, then shuts down in order: services end,
    /// sockets close (linger bounded), the context terminates. No hang on exit.
    public func run(_ services: [any Service], closing subscribers: [BusSubscriber] = []) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("started", metadata: ["pid": "\(getpid())", "home": "\(home.root.path)", "bus": "\(address.publish)"])
        do {
            try await group.run()
        } catch {
            logger.error("service failed", metadata: ["error": "\(error)"])
            await shutdown(subscribers)
            throw error
        }
        await shutdown(subscribers)
    }

    /// Closes sockets (each on its own thread), then terminates the context.
    public func shutdown(_ subscribers: [BusSubscriber]) async {
        for subscriber in subscribers { await subscriber.closeAsync() }
        await publisher.closeAsync()
        let context = self.context
        await onBlockingPool { context.terminate() }
        logger.info("stopped")
    }
}

/// A service that runs an async loop over a subscriber's messages until shutdown.
public struct MessageLoopService: Service {
    let subscriber: BusSubscriber
    let handle: @Sendable (BusMessage) async -> Void

    public init(subscriber: BusSubscriber, handle: @escaping @Sendable (BusMessage) async -> Void) {
        self.subscriber = subscriber
        self.handle = handle
    }

    public func run() async throws {
        // Stop on graceful shutdown and on cancellation alike: the subscriber's queue does not
        // notice a cancelled task by itself, so without this a cancelled loop would wait forever.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for await message in subscriber.messages {
                    // Shutting down: leave what is still queued (reliable senders re-send it).
                    if Task.isShuttingDownGracefully || Task.isCancelled { break }
                    await handle(message)
                }
            } onGracefulShutdown: {
                subscriber.stop()
            }
        } onCancel: {
            subscriber.stop()
        }
    }
}
