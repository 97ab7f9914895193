import ArgumentParser
import Foundation
import ServiceLifecycle
import SpasmBus
import SpasmConfig
import SpasmDiary
import SpasmProducer
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmSecurity
import SpasmSync
import SpasmWeb

/// The diary's services: the CLI's request server, the phone page and JSON API (with "Wear
/// this phone" and the alerts' action pages), the reliable sender of entries, the feed the
/// page shows, the outbox watch (entries the CLI saved while this service was down) and
/// the heartbeat.
enum ManualService {
    static func build(environment: ServiceEnvironment) async throws -> [any Service] {
        let settings = environment.configuration.manual
        let home = environment.home
        let outbox = try Outbox.open(url: home.outbox(for: environment.instance))
        let journal = try DiaryJournal.open(url: home.diaryJournal)
        let receipts = try environment.subscribe([Topic.stored(environment.instance)])
        let sender = ReliableSender(
            outbox: outbox, publisher: environment.publisher, receipts: receipts,
            counters: environment.counters, logger: environment.logger)
        let board = EpisodeBoard()
        await board.load(answers: try await journal.confirmations())
        await board.load(cleared: try await journal.clearedAlerts())
        let desk = DiaryDesk(
            journal: journal, sender: sender, board: board, counters: environment.counters,
            person: environment.configuration.person, clock: HomeClock(configuration: environment.configuration),
            logger: environment.logger)
        // Entries the CLI saved while this service was down join the recent list now;
        // the sender publishes them with everything else that is due.
        try await desk.importFromOutbox()

        // Episodes, alerts, acknowledgements and help requests for the page; notify's
        // heartbeat for its caregiver warning.
        let feed = try environment.subscribe([
            Topic.episodePrefix, Topic.alertPrefix, Topic.acknowledgement,
            Topic.heartbeat(ServiceName.notify),
        ])
        let feedLoop = MessageLoopService(subscriber: feed) { message in await board.observe(message) }
        // What storage has fills the lists too: they survive a restart, and a missed end arrives.
        let history = BoardHistory(
            board: board,
            store: StoreClient(
                context: environment.context, endpoint: environment.endpoints.storeQuery,
                timeoutSeconds: 3),
            person: environment.configuration.person, logger: environment.logger)
        let historyFill = PeriodicService(every: .seconds(10)) { await history.fill() }
        // The CLI's way in. The desk is async: the socket thread waits for its answer.
        let requests = try RequestReplyServer<ManualRequest, ManualReply>(
            name: "manual-requests", context: environment.context,
            endpoint: environment.endpoints.manualRequests, logger: environment.logger,
            refuse: { error, data in
                ManualReply(ok: false, error: "not a manual request: \(WireCodec.describe(error, in: data))")
            }
        ) { await desk.handle($0) }
        environment.logger.info("accepting CLI requests", metadata: ["endpoint": "\(environment.endpoints.manualRequests)"])
        let outboxWatch = PeriodicService(every: .seconds(2), firstRunAfter: .seconds(2)) { _ = try? await desk.importFromOutbox() }
        let pageURL = PageAddress()
        // The alerts' action links are checked with the key notify signs them with.
        let actions: ActionPages?
        let warning: String?
        do {
            actions = ActionPages(
                key: try ActionKey.load(directory: home.keyDirectory), desk: desk, board: board,
                counters: environment.counters, clock: HomeClock(configuration: environment.configuration),
                person: environment.configuration.person)
            warning = publicURLWarning(settings)
        } catch {
            actions = nil
            warning = "the action-link key could not be read (\(error)): \"I'm OK\" links from alerts do not work"
            environment.logger.error("\(warning ?? "")")
        }
        // "Wear this phone": the phone's frames go to sensor ingestion like any producer's, sent
        // with this service's own bus key (a service key may send any sensor id).
        let forwarder = SensorForwarder(
            endpoint: environment.endpoints.sensorProducers,
            security: environment.endpoints.usesCurve
                ? try BusSecurity.load(home: home, key: ServiceName.keyName(ServiceName.manual)) : nil)
        let counters = environment.counters
        let wear = WearRoutes(
            page: try WearPage.html(), streams: WearStreams(forwarder: forwarder) { counters.add($0, $1) }, context: environment.context,
            sensorRequests: environment.endpoints.sensorRequests, storeQuery: environment.endpoints.storeQuery)
        let web = try WebServer.make(
            desk: desk, board: board, settings: settings, home: home, page: try PhonePage.html(timeZone: environment.configuration.timeZone.zone),
            actions: actions,
            counters: environment.counters,
            limits: ConnectionLimits(
                maxConnections: settings.httpMaxConnections,
                requestSeconds: settings.httpRequestSeconds,
                idleSeconds: settings.httpIdleSeconds),
            wear: settings.wearThisPhone ? wear : nil, logger: environment.logger
        ) { url in pageURL.set(url) }
        let heartbeat = environment.heartbeat {
            var info = ["diary page": pageURL.get()]
            info["warning.publicURL"] = warning
            return (info, nil)
        }
        return [heartbeat, sender, feedLoop, historyFill, requests, outboxWatch, web]
    }
}

extension ManualService {
    /// `warning.publicURL` for manual's heartbeat: notify's sentence, and whether the links
    /// can reach this service at all.
    static func publicURLWarning(_ settings: ManualSettings) -> String? {
        if let warning = settings.publicURLWarning { return warning }
        if Endpoints.isLoopback(settings.httpHost) {
            return
                "manual.publicURL is set, but manual.httpHost is \(settings.httpHost): other phones cannot reach the \"I'm OK\" links unless a proxy forwards them; set manual.httpHost (and manual.httpToken)"
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
