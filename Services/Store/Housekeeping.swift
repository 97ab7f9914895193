import Foundation
import Logging
import SpasmBus
import SpasmRuntime
import SpasmStore

/// Background chores, once a minute (the first 3 s after start): purge raw frames past their
/// retention or over the disk budget (oldest first), and take the daily backup. Runs off the
/// cooperative pool.
struct Housekeeping: Sendable {
    let retention: RawRetention
    let backups: DailyBackups
    let counters: CounterSet
    let logger: Logger
    var period: Duration = .seconds(60)

    var service: PeriodicService {
        PeriodicService(every: period, firstRunAfter: .seconds(3)) { await runOnce() }
    }

    func runOnce() async {
        let (retention, backups, logger) = (self.retention, self.backups, self.logger)
        let purged: Int = await onBlockingPool {
            do { return try retention.purge() } catch {
                logger.error("raw frame purge failed", metadata: ["error": "\(error)"])
                return 0
            }
        }
        if purged > 0 {
            counters.add("store.frames_purged", Int64(purged))
            logger.info("raw frames purged", metadata: ["frames": "\(purged)"])
        }
        let backup: URL? = await onBlockingPool {
            do { return try backups.runIfDue() } catch {
                logger.error("daily backup failed", metadata: ["error": "\(error)"])
                return nil
            }
        }
        if let backup { logger.info("daily backup taken", metadata: ["file": "\(backup.path)"]) }
    }
}
