import ServiceLifecycle
import SpasmConfig
import SpasmRuntime

/// The bus's services: the broker (proxy threads on the environment's context) and its
/// heartbeat, which goes through the broker itself (its publisher connects once the proxy
/// binds). The broker's threads end when the context shuts down.
enum BusService {
    static func build(environment: ServiceEnvironment) throws -> [any Service] {
        try environment.takeInstanceLock("bus")
        let endpoints = environment.endpoints
        let broker = try Broker.start(
            context: environment.context, endpoints: endpoints,
            configuration: environment.configuration, security: environment.address.security,
            home: environment.home, counters: environment.counters, logger: environment.logger)
        environment.afterContextShutdown { broker.join() }
        environment.counters.set("bus.high_water_mark", Int64(environment.configuration.bus.highWaterMark))
        return [
            environment.heartbeat {
                (["publish": endpoints.busPublish, "subscribe": endpoints.busSubscribe], nil)
            }
        ]
    }
}
