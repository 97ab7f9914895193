import Foundation
import ServiceLifecycle
import SpasmReliability
import SpasmRuntime
import SpasmSchema
import SpasmStore

/// The store's services: the writer (bus → SQLite, then receipts), the query server,
/// housekeeping (raw retention, daily backups) and the heartbeat. One store per data home.
enum StoreService {
    /// What the store subscribes to.
    static let prefixes = [
        Topic.manualEntry, Topic.episodePrefix, Topic.alertPrefix, Topic.acknowledgement,
        Topic.deliveryPrefix, "sensor.", Topic.heartbeatPrefix,
    ]

    static func build(environment: ServiceEnvironment) throws -> [any Service] {
        let settings = environment.configuration.store
        let logger = environment.logger
        try environment.takeInstanceLock("store")
        let timeZone = environment.configuration.timeZone.zone
        let database = try AppDatabase.open(url: environment.home.database, logger: logger)
        let subscriber = try environment.subscribe(prefixes, queueCapacity: 200_000)
        let writer = StoreWriter(
            database: database, subscriber: subscriber,
            receipts: ReceiptSender(publisher: environment.publisher),
            commitInterval: Double(settings.commitIntervalMs) / 1000,
            commitBatch: max(1, settings.commitBatch), counters: environment.counters, logger: logger)
        let engine = StoreQueryEngine(
            database: database, timeZone: timeZone, diskBudgetBytes: settings.diskBudgetBytes,
            rawRetentionDays: settings.rawRetentionDays, counters: environment.counters)
        // JSON StoreRequest in, StoreResponse out (docs/wire-format.md, "Store queries").
        let queries = try RequestReplyServer<StoreRequest, StoreResponse>(
            name: "store-queries", context: environment.context,
            endpoint: environment.endpoints.storeQuery, counters: environment.counters,
            counterPrefix: "queries", logger: logger, decode: StoreQueryEngine.decode,
            refuse: StoreQueryEngine.refusal
        ) { engine.reply(to: $0) }
        let housekeeping = Housekeeping(
            retention: RawRetention(
                database: database, retentionDays: settings.rawRetentionDays,
                budgetBytes: settings.diskBudgetBytes),
            backups: DailyBackups(database: database, keepDays: settings.backupKeepDays, timeZone: timeZone),
            counters: environment.counters, logger: logger)
        let budget = settings.diskBudgetBytes
        let heartbeat = environment.heartbeat {
            let main = database.databaseBytes
            let raw = database.rawBytes
            let used = Double(main + raw) / Double(max(budget, 1)) * 100
            // As numbers too, for the metrics exporter (spasmwatch_database_bytes).
            environment.counters.set("store.database_bytes", Int64(main))
            environment.counters.set("store.raw_bytes", Int64(raw))
            for (source, missing) in subscriber.missingBySource {
                environment.counters.set("gaps.\(source)", Int64(missing))
            }
            return (
                [
                    "database": AppDatabase.formatBytes(main),
                    "raw frames": AppDatabase.formatBytes(raw),
                    "disk budget": "\(AppDatabase.formatBytes(budget)) (\(String(format: "%.1f", used))% used)",
                    "raw retention": "\(settings.rawRetentionDays.formatted()) days",
                ], nil
            )
        }
        logger.info(
            "store open",
            metadata: [
                "database": "\(database.url.path)", "queries": "\(environment.endpoints.storeQuery)",
                "timeZone": "\(timeZone.identifier)",
            ])
        return [writer, queries, housekeeping.service, heartbeat]
    }
}
