import ArgumentParser
import Foundation
import SpasmConfig
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmStore

/// `spasmwatch-store`: keeps everything in SQLite, sends stored receipts after each commit,
/// and answers queries (docs/storage.md).
@main
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-store",
        abstract: "Storage in SQLite: diary, episodes, alerts, deliveries, sensor data; answers queries.")

    @OptionGroup var options: CommonOptions

    /// What the store subscribes to.
    static let prefixes = [Topic.manualEntry, Topic.episodePrefix, Topic.alertPrefix, Topic.acknowledgement,
                           Topic.deliveryPrefix, "sensor.", Topic.heartbeatPrefix]

    func run() async throws {
        LoggingSetup.bootstrap(level: options.level)
        let environment = try ServiceEnvironment(service: ServiceName.store, instance: "store", options: options)
        let settings = environment.configuration.store
        let logger = environment.logger
        let lock = try SingleInstanceLock(file: environment.home.runDirectory(environment.configuration.bus).appendingPathComponent("store.lock"))
        defer { lock.release() }
        let timeZone = try StoreCommand.timeZone(environment.configuration.timeZone)
        let database = try AppDatabase(url: environment.home.database, logger: logger)
        let subscriber = try environment.subscribe(StoreCommand.prefixes, queueCapacity: 200_000)
        let writer = StoreWriter(database: database, subscriber: subscriber,
                                 receipts: ReceiptSender(publisher: environment.publisher),
                                 commitInterval: Double(settings.commitIntervalMs) / 1000,
                                 commitBatch: max(1, settings.commitBatch), counters: environment.counters, logger: logger)
        let engine = StoreQueryEngine(database: database, timeZone: timeZone, diskBudgetBytes: settings.diskBudgetBytes,
                                      rawRetentionDays: settings.rawRetentionDays, counters: environment.counters)
        // JSON StoreRequest in, StoreResponse out (docs/wire-format.md, "Store queries").
        let queries = try RequestReplyServer<StoreRequest, StoreResponse>(name: "store-queries", context: environment.context,
                                             endpoint: environment.endpoints.storeQuery, counters: environment.counters,
                                             counterPrefix: "queries", logger: logger, decode: StoreQueryEngine.decode,
                                             refuse: StoreQueryEngine.refusal) { engine.reply(to: $0) }
        let housekeeping = Housekeeping(
            retention: RawRetention(database: database, retentionDays: settings.rawRetentionDays,
                                    budgetBytes: settings.diskBudgetBytes),
            backups: DailyBackups(database: database, keepDays: settings.backupKeepDays, timeZone: timeZone),
            counters: environment.counters, logger: logger)
        let budget = settings.diskBudgetBytes
        let heartbeat = environment.heartbeat {
            let main = database.databaseBytes, raw = database.rawBytes
            let used = Double(main + raw) / Double(max(budget, 1)) * 100
            for (source, missing) in subscriber.missingBySource {
                environment.counters.set("gaps.\(source)", Int64(missing))
            }
            return (["database": AppDatabase.formatBytes(main),
                     "raw frames": AppDatabase.formatBytes(raw),
                     "disk budget": "\(AppDatabase.formatBytes(budget)) (\(String(format: "%.1f", used))% used)",
                     "raw retention": "\(settings.rawRetentionDays.formatted()) days"], nil)
        }
        logger.info("store open", metadata: ["database": "\(database.url.path)", "queries": "\(environment.endpoints.storeQuery)",
                                             "timeZone": "\(timeZone.identifier)"])
        try await environment.run([writer, queries, housekeeping, heartbeat], closing: [subscriber])
    }

    static func timeZone(_ name: String) throws -> TimeZone {
        if name.isEmpty { return TimeZone.current }
        guard let zone = TimeZone(identifier: name) else {
            throw ValidationError("timeZone '\(name)' is not an IANA time zone name (e.g. Europe/Berlin)")
        }
        return zone
    }
}

/// One writer per data home: an exclusive `flock` on `run/store.lock`, held while running.
struct SingleInstanceLock {
    let descriptor: Int32

    init(file: URL) throws {
        descriptor = open(file.path, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(file.path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ValidationError("spasmwatch-store is already running for this home (\(file.path) is locked)")
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
