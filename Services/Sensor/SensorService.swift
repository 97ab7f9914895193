import Foundation
import Hummingbird
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmIngestion
import SpasmRuntime
import SpasmSchema
import SpasmWeb

/// Sensor ingestion's services: the producer endpoint (ZeroMQ) and the HTTP endpoint, both
/// through one `IngestionCore` that validates each frame and republishes it on the bus; the
/// `spasmwatch sensors` request server, the bus-link watch, the accepted-counts writer, the
/// heartbeat, and with `--demo` simulated sensors.
enum SensorService {
    static func build(environment: ServiceEnvironment, demo: Bool) throws -> [any Service] {
        let settings = environment.configuration.sensor
        // "accepted" only while the bus is connected, and counted on disk per sensor first.
        let link = BusLink(publisher: environment.publisher, heartbeatSeconds: environment.configuration.bus.heartbeatSeconds)
        let acceptedCounts = try AcceptedCounts.open(url: AcceptedCounts.url(dataDirectory: environment.home.dataDirectory))
        let core = IngestionCore(
            publisher: environment.publisher, counters: environment.counters, settings: settings,
            logger: environment.logger, person: environment.configuration.person,
            link: link, acceptedCounts: acceptedCounts,
            profiles: try DeviceProfiles.open(url: DeviceProfiles.url(dataDirectory: environment.home.dataDirectory)))
        let busBeats = try environment.subscribe([Topic.heartbeat(ServiceName.bus)], queueCapacity: 100)
        let watch = BusLinkWatch(link: link, subscriber: busBeats, counters: environment.counters, logger: environment.logger)
        let security = environment.address.security
        // With CURVE (tcp), the ZAP handler checks producers' keys; its thread runs until the context ends.
        if security != nil {
            _ = try ZAPHandler.start(context: environment.context, home: environment.home, logger: environment.logger)
        }
        let producers = ProducerEndpoint(
            core: core, endpoint: environment.endpoints.sensorProducers, security: security, home: environment.home,
            context: environment.context, maxFrameBytes: settings.maxFrameBytes,
            logger: environment.logger)
        let http = try HTTPEndpoint.makeApplication(
            core: core, settings: settings, home: environment.home,
            limits: ConnectionLimits(
                maxConnections: settings.httpMaxConnections,
                requestSeconds: settings.httpRequestSeconds,
                idleSeconds: settings.httpIdleSeconds),
            logger: environment.logger)
        // `spasmwatch sensors` (list, forget) asks here; the answer is quick and needs no await.
        let requests = try RequestReplyServer<SensorRequest, SensorReply>(
            name: "sensor-requests", context: environment.context,
            endpoint: environment.endpoints.sensorRequests, counters: environment.counters,
            counterPrefix: "requests", logger: environment.logger,
            refuse: { error, _ in IngestionCore.refusal(error) }
        ) { core.answer($0) }
        let heartbeat = environment.heartbeat {
            let beat = core.heartbeatSensors()
            return (info: beat.info, sensors: Optional(beat.sensors))
        }
        // Shut down in reverse order: the counts writer after the HTTP server, so its last
        // save holds every frame the server accepted.
        var services: [any Service] = [heartbeat]
        if let writer = core.countsWriter { services.append(writer) }
        services += [producers, http, requests, watch] as [any Service]
        if demo {
            services.append(
                DemoSensors(
                    endpoint: environment.endpoints.sensorProducers, security: security,
                    logger: environment.logger))
        }
        environment.logger.info(
            "sensor ingestion ready",
            metadata: [
                "producers": "\(environment.endpoints.sensorProducers)", "http": "\(environment.endpoints.sensorHTTP)",
                "requests": "\(environment.endpoints.sensorRequests)",
            ])
        return services
    }
}
