import ArgumentParser
import Foundation
import Hummingbird
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmRuntime
import SpasmIngestion
import SpasmSchema
import SpasmWeb

/// `spasmwatch-sensor`: sensor ingestion. Serves external producers (ZeroMQ and HTTP),
/// validates every frame, and republishes accepted frames on the bus. Subcommands check a
/// frame offline, simulate sensors, and replay recordings.
@main
struct SensorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-sensor",
        abstract: "Sensor ingestion: external producers' frames, validated, onto the bus.",
        subcommands: [ServeCommand.self, CheckCommand.self, SimulateCommand.self, ReplayCommand.self, SensorBenchCommand.self],
        defaultSubcommand: ServeCommand.self)
}

/// Runs the service (the default subcommand).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run sensor ingestion (default).")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Also run simulated sensors (deploy/stack up --demo): an ankle IMU, a wrist IMU and a calf EMG.")
    var demo = false

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.sensor, instance: "sensor", options: options)
        let settings = environment.configuration.sensor
        // "accepted" only while the bus is connected, and counted on disk per sensor first.
        let link = BusLink(publisher: environment.publisher, heartbeatSeconds: environment.configuration.bus.heartbeatSeconds)
        let acceptedCounts = try AcceptedCounts(url: AcceptedCounts.url(dataDirectory: environment.home.dataDirectory))
        let core = IngestionCore(publisher: environment.publisher, counters: environment.counters, settings: settings,
                                 logger: environment.logger, person: environment.configuration.person,
                                 link: link, acceptedCounts: acceptedCounts,
                                 profiles: try DeviceProfiles(url: DeviceProfiles.url(dataDirectory: environment.home.dataDirectory)))
        let busBeats = try environment.subscribe([Topic.heartbeat(ServiceName.bus)], queueCapacity: 100)
        let watch = BusLinkWatch(link: link, subscriber: busBeats, counters: environment.counters, logger: environment.logger)
        let security = environment.address.security
        // With CURVE (tcp), the ZAP handler checks producers' keys; its thread runs until the context ends.
        if security != nil {
            _ = try ZAPHandler.start(context: environment.context, home: environment.home, logger: environment.logger)
        }
        let producers = ProducerEndpoint(core: core, endpoint: environment.endpoints.sensorProducers, security: security, home: environment.home,
                                         context: environment.context, maxFrameBytes: settings.maxFrameBytes,
                                         logger: environment.logger)
        let http = try HTTPEndpoint.makeApplication(core: core, settings: settings, home: environment.home,
                                                     limits: ConnectionLimits(maxConnections: settings.httpMaxConnections,
                                                                              requestSeconds: settings.httpRequestSeconds,
                                                                              idleSeconds: settings.httpIdleSeconds),
                                                     logger: environment.logger)
        // `spasmwatch sensors` (list, forget) asks here; the answer is quick and needs no await.
        let requests = try RequestReplyServer<SensorRequest, SensorReply>(name: "sensor-requests", context: environment.context,
                                              endpoint: environment.endpoints.sensorRequests, counters: environment.counters,
                                              counterPrefix: "requests", logger: environment.logger,
                                              refuse: { error, _ in IngestionCore.refusal(error) }) { core.answer($0) }
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
            services.append(DemoSensors(endpoint: environment.endpoints.sensorProducers, security: security,
                                        logger: environment.logger))
        }
        environment.logger.info("sensor ingestion ready", metadata: [
            "producers": "\(environment.endpoints.sensorProducers)", "http": "\(environment.endpoints.sensorHTTP)",
            "requests": "\(environment.endpoints.sensorRequests)"])
        try await environment.run(services, closing: [busBeats])
    }
}

/// `spasmwatch-sensor check FRAME.json [--binary FILE]`: validates a frame offline and prints
/// the verdict the service would give.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a frame offline and print the verdict.")

    @Argument(help: "The frame's JSON file ('-' for standard input).")
    var frame: String

    @Option(help: "A file of little-endian Float32 samples sent as the binary frame.")
    var binary: String?

    @OptionGroup var options: CommonOptions

    func run() throws {
        let (_, configuration) = try options.load()
        let json = frame == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: frame))
        let payload = try binary.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        do {
            let valid = try FrameValidator.validate(json: json, binary: payload, maxBytes: configuration.sensor.maxFrameBytes)
            print("accepted: \(valid.kind.rawValue) frame from \(valid.sensorId) at \(valid.placement.rawValue), \(valid.sampleCount) samples × \(valid.channels) channel(s) at \(FrameValidator.format(valid.sampleRate)) Hz\(valid.test ? " (test sensor)" : "")")
        } catch {
            print("rejected: \(error.message)")
            throw ExitCode(1)
        }
    }
}
