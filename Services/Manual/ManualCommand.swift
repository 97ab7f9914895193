import SpasmSync
import ArgumentParser
import Foundation
import ServiceLifecycle
import SpasmConfig
import SpasmDiary
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmSecurity
import SpasmWeb
import SpasmBus

/// `spasmwatch-manual`: the spasm diary. Takes entries from the CLI (ZeroMQ REQ/REP on
/// `Endpoints.manualRequests`) and from the phone page and JSON API (HTTP), validates them,
/// writes each to the durable outbox before answering "saved", and publishes it on
/// `manual.entry` until storage's stored receipt names it.
@main
struct ManualCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-manual",
        abstract: "Manual ingestion: the spasm diary (CLI requests, the phone page, the JSON API).")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.manual, instance: DiaryOutbox.source, options: options)
        let settings = environment.configuration.manual
        do {
            try WebServer.checkSettings(settings, home: environment.home)
        } catch {
            environment.logger.critical("\(error)")
            await environment.shutdown([])
            throw ExitCode(2)
        }
        let home = environment.home
        let outbox = try Outbox(url: home.outbox(for: environment.instance))
        let journal = try DiaryJournal(url: home.diaryJournal)
        let receipts = try environment.subscribe([Topic.stored(environment.instance)])
        let sender = ReliableSender(outbox: outbox, publisher: environment.publisher, receipts: receipts,
                                    counters: environment.counters, logger: environment.logger)
        let board = EpisodeBoard()
        await board.load(answers: try await journal.confirmations())
        let desk = DiaryDesk(journal: journal, sender: sender, board: board, counters: environment.counters,
                             person: environment.configuration.person, logger: environment.logger)
        // Entries the CLI saved while this service was down join the recent list now;
        // the sender publishes them with everything else that is due.
        try await desk.importFromOutbox()

        // Episodes, alerts, acknowledgements and help requests for the page; notify's
        // heartbeat for its caregiver warning.
        let feed = try environment.subscribe([Topic.episodePrefix, Topic.alertPrefix, Topic.acknowledgement,
                                              Topic.heartbeat(ServiceName.notify)])
        let feedLoop = MessageLoopService(subscriber: feed) { message in await board.observe(message) }
        // The CLI's way in. The desk is async: the socket thread waits for its answer.
        let requests = try RequestReplyServer<ManualRequest, ManualReply>(name: "manual-requests", context: environment.context,
                                              endpoint: environment.endpoints.manualRequests, logger: environment.logger,
                                              refuse: { error, data in
            ManualReply(ok: false, error: "not a manual request: \(WireCodec.describe(error, in: data))")
        }) { await desk.handle($0) }
        environment.logger.info("accepting CLI requests", metadata: ["endpoint": "\(environment.endpoints.manualRequests)"])
        let outboxWatch = EveryFewSeconds(seconds: 2) { _ = try? await desk.importFromOutbox() }
        let pageURL = PageAddress()
        // The alerts' action links are checked with the key notify signs them with.
        let actions: ActionPages?
        let warning: String?
        do {
            actions = ActionPages(key: try ActionKey.load(directory: home.keyDirectory), desk: desk, board: board,
                                  counters: environment.counters, clock: try HomeClock(configuration: environment.configuration),
                                  person: environment.configuration.person)
            warning = Self.publicURLWarning(settings)
        } catch {
            actions = nil
            warning = "the action-link key could not be read (\(error)): \"I'm OK\" links from alerts do not work"
            environment.logger.error("\(warning ?? "")")
        }
        // "Wear this phone": the phone's frames go to sensor ingestion like any producer's, sent
        // with this service's own bus key (a service key may send any sensor id).
        let forwarder = SensorForwarder(endpoint: environment.endpoints.sensorProducers,
                                        security: environment.endpoints.usesCurve
                                            ? try BusSecurity.load(home: home, key: ServiceName.keyName(ServiceName.manual)) : nil)
        let counters = environment.counters
        let wear = WearRoutes(streams: WearStreams(forwarder: forwarder) { counters.add($0, $1) }, context: environment.context,
                              sensorRequests: environment.endpoints.sensorRequests, storeQuery: environment.endpoints.storeQuery)
        let web = try WebServer.make(desk: desk, board: board, settings: settings, home: home, page: PhonePage.html, actions: actions,
                                     counters: environment.counters, limits: ConnectionLimits(maxConnections: settings.httpMaxConnections,
                                                                                          requestSeconds: settings.httpRequestSeconds,
                                                                                          idleSeconds: settings.httpIdleSeconds),
                                     wear: settings.wearThisPhone ? wear : nil, logger: environment.logger) { url in pageURL.set(url) }
        let heartbeat = environment.heartbeat {
            var info = ["diary page": pageURL.get()]
            info["warning.publicURL"] = warning
            return (info, nil)
        }
        try await environment.run([heartbeat, sender, feedLoop, requests, outboxWatch, web], closing: [receipts, feed])
    }
}

extension ManualCommand {
    /// `warning.publicURL` for manual's heartbeat: notify's sentence, and whether the links
    /// can reach this service at all.
    static func publicURLWarning(_ settings: ManualSettings) -> String? {
        if let warning = settings.publicURLWarning { return warning }
        if WebServer.isLoopback(settings.httpHost) {
            return "manual.publicURL is set, but manual.httpHost is \(settings.httpHost): other phones cannot reach the \"I'm OK\" links unless a proxy forwards them; set manual.httpHost (and manual.httpToken)"
        }
        return nil
    }
}

/// Where the phone page listens, once it does (for the heartbeat and `spasmwatch status`).
final class PageAddress: Sendable {
    private let value = Locked("not listening yet")
    func set(_ url: String) { value.withLock { $0 = url } }
    func get() -> String { value.withLock { $0 } }
}

/// Runs a small job every few seconds until shutdown.
struct EveryFewSeconds: Service {
    let seconds: Double
    let job: @Sendable () async -> Void

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            await job()
        }
    }
}
