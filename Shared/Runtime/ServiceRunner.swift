import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmErrors
import SpasmSchema
import SpasmSync
import ZeroMQ

/// What every service process shares: its home, configuration, one ZeroMQ context, bus
/// address, a publisher stamped with its instance name, and its counters. It owns every
/// socket it hands out (`subscribe`) and every lock it takes (`takeInstanceLock`), and
/// closes them when the services have ended; `XService.build(environment:)` only makes the
/// services.
public final class ServiceEnvironment: Sendable {
    public let service: String
    public let instance: String
    public let home: DataHome
    public let configuration: Configuration
    public let context: ZMQContext
    public let address: BusAddress
    public let endpoints: Endpoints
    public let runDirectory: URL
    public let publisher: BusPublisher
    public let counters = CounterSet()
    public let logger: Logger
    private let subscribers = Locked<[BusSubscriber]>([])
    private let locks = Locked<[InstanceLock]>([])
    private let afterContextShutdown = Locked<[@Sendable () -> Void]>([])

    public init(service: String, instance: String, options: CommonOptions) throws {
        let (home, configuration) = try options.load()
        self.service = service
        self.instance = instance
        self.home = home
        self.configuration = configuration
        var logger = Logger(label: service)
        logger[metadataKey: "instance"] = "\(instance)"
        self.logger = logger
        runDirectory = try ServiceEnvironment.prepare(home, configuration: configuration, logger: logger)
        context = ZMQContext()
        // On tcp each service has its own key, named after it ("spasmwatch-store" → "store").
        address = try BusAddress.resolve(home: home, configuration: configuration, key: ServiceName.keyName(service))
        if let note = address.security?.note { logger.notice("\(note)") }
        endpoints = Endpoints(home: home, configuration: configuration)
        publisher = try BusPublisher(
            context: context, address: address, source: instance,
            person: configuration.person, counters: counters, logger: logger)
    }

    /// The one way a service process runs: logging on stderr, the environment, the services
    /// `build` returns, until SIGTERM or SIGINT. A bad setting (or `--log-level`) is one
    /// critical line naming it and exit status 2, the same in every service.
    public static func main(
        service: String, instance: String, options: CommonOptions,
        build: (ServiceEnvironment) async throws -> [any Service]
    ) async throws {
        let level: Logger.Level
        do {
            level = try options.logLevelSetting()
        } catch {
            LoggingSetup.bootstrap(level: .info)
            Logger(label: service).critical("\(error)")
            throw ExitCode(2)
        }
        LoggingSetup.bootstrap(level: level)
        let environment: ServiceEnvironment
        do {
            environment = try ServiceEnvironment(service: service, instance: instance, options: options)
        } catch let error as SpasmError where error.code.isSettingProblem {
            Logger(label: service).critical("\(error.description)")
            throw ExitCode(2)
        }
        let services: [any Service]
        do {
            services = try await build(environment)
        } catch let error as SpasmError where error.code.isSettingProblem {
            environment.logger.critical("\(error.description)")
            await environment.shutdown()
            throw ExitCode(2)
        } catch {
            environment.logger.critical("could not start", metadata: ["error": "\(error)"])
            await environment.shutdown()
            throw ExitCode(1)
        }
        try await environment.run(services)
    }

    /// Makes the home's folders and checks or makes the run directory (refusing one another
    /// user could take over), then takes away what an older home gave to other users, and
    /// says so. Returns the run directory.
    private static func prepare(_ home: DataHome, configuration: Configuration, logger: Logger) throws -> URL {
        let groupAccess = configuration.bus.groupAccess
        try home.prepare(groupAccess: groupAccess)
        let run = try home.prepareRunDirectory(configuration.bus)
        if let note = run.note { logger.warning("\(note)") }
        let tightened = home.tighten(groupAccess: groupAccess, runDirectory: run.url)
        if tightened > 0 {
            logger.notice(
                "tightened \(tightened) files and folders to \(groupAccess ? "owner and group" : "owner-only")",
                metadata: ["home": "\(home.root.path)"])
        }
        return run.url
    }

    /// A subscriber on this service's context, counting into its counters; closed at shutdown.
    public func subscribe(_ prefixes: [String], queueCapacity: Int = 50_000) throws -> BusSubscriber {
        let subscriber = try BusSubscriber(
            context: context, address: address, prefixes: prefixes, counters: counters,
            queueCapacity: queueCapacity, logger: logger)
        subscribers.withLock { $0.append(subscriber) }
        return subscriber
    }

    /// One instance of this service per data home: `run/<name>.lock`, held until shutdown.
    public func takeInstanceLock(_ name: String) throws {
        let lock = try InstanceLock(url: runDirectory.appendingPathComponent("\(name).lock"), what: service, home: home.root.path)
        locks.withLock { $0.append(lock) }
    }

    /// Work for threads that end when the context shuts down (the broker's proxy): run, off
    /// the pool, after the context is shut down and before it is terminated.
    public func afterContextShutdown(_ join: @escaping @Sendable () -> Void) {
        afterContextShutdown.withLock { $0.append(join) }
    }

    /// The heartbeat for this service, every `bus.heartbeatSeconds`.
    public func heartbeat(details: @escaping @Sendable () -> (info: [String: String], sensors: [SensorStatus]?) = { ([:], nil) }) -> PeriodicService {
        let beat = HeartbeatPublisher(service: service, publisher: publisher, counters: counters, details: details)
        return PeriodicService(every: .milliseconds(Int64(configuration.bus.heartbeatSeconds * 1000))) { beat.send() }
    }

    /// Runs services until SIGTERM or SIGINT, then shuts down in order: services end,
    /// sockets close (linger bounded), the context terminates. No hang on exit.
    public func run(_ services: [any Service]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info("started", metadata: ["pid": "\(getpid())", "home": "\(home.root.path)", "bus": "\(address.publish)"])
        do {
            try await group.run()
        } catch {
            logger.error("service failed", metadata: ["error": "\(error)"])
            await shutdown()
            throw error
        }
        await shutdown()
    }

    /// Closes every socket handed out (each on its own thread) and the publisher, shuts the
    /// context down, waits for the threads that end with it, terminates it, and releases
    /// the locks.
    public func shutdown() async {
        for subscriber in subscribers.withLock({ $0 }) { await subscriber.closeAsync() }
        await publisher.closeAsync()
        let context = self.context
        let joins = afterContextShutdown.withLock { $0 }
        await onBlockingPool {
            if !joins.isEmpty {
                context.shutdown()
                for join in joins { join() }
            }
            context.terminate()
        }
        for lock in locks.withLock({ $0 }) { lock.release() }
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
