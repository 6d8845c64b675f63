import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import StrataCore
import StrataBucketWeb
import StrataObjStore
import StrataSecurity
import StrataServer

/// Everything `strata-compact` does: take the data-dir flock and the bucket lock, then run
/// one pass (the scheduled job) or a pass every `--wait-interval` (`--wait`), renewing the
/// lock throughout, with /metrics, /-/healthy and /-/ready (ready while holding the lock) on
/// `--http-address`. SIGTERM/SIGINT stop the pass between two steps and release the lock.
public struct CompactorService: Sendable {
    public struct Options: Sendable {
        public var httpAddress = "0.0.0.0:10902"
        /// Keep running, a pass every `waitInterval`.
        public var wait = false
        public var waitInterval: Duration = .seconds(300)
        public var lockTTL: Duration = .seconds(300)
        /// Wait for a held lock instead of exiting.
        public var lockWait = false
        public var lockPollInterval: Duration = .seconds(10)
        /// `--http.config`; nil: plain HTTP without auth.
        public var web: WebConfig?

        public init() {}
    }

    /// How the process ends, for its exit code.
    public enum Outcome: Sendable {
        /// The (last) pass did everything it planned.
        case completed(PassReport)
        /// The pass quarantined blocks or a job failed; details in the report and logs.
        case incomplete(PassReport)
        /// Another compactor holds the lock (the job had nothing to do).
        case locked(String)
        /// Stopped by a signal before finishing.
        case stopped

        /// 0 completed (or stopped in `--wait` mode), 1 incomplete, 3 locked.
        public var exitCode: Int32 {
            switch self {
            case .completed, .stopped: return 0
            case .incomplete: return 1
            case .locked: return 3
            }
        }
    }

    let config: CompactorConfig
    let options: Options
    let bucket: any Bucket
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// Reachability of the bucket: `/-/ready` answers 503 with the reason while it is down.
    let health: ObjectStoreHealth?
    /// The bucket viewer on `--http-address` (`/`, `/api/v1/blocks`), fed by each pass's sync.
    let blocksView = BucketViewState(pendingMessage: "Waiting for the compactor's first sync of the bucket: it reads the blocks at the start of each pass, once it holds the bucket lock.")

    public init(config: CompactorConfig, options: Options, bucket: any Bucket, registry: PrometheusCollectorRegistry, logger: Logger,
                health: ObjectStoreHealth? = nil) {
        self.config = config
        self.options = options
        self.bucket = bucket
        self.registry = registry
        self.logger = logger
        self.health = health
    }

    public func run() async throws -> Outcome {
        let dirLock: DataDirLock
        do { dirLock = try DataDirLock(dataDir: config.dataDir) } catch let e as CompactorLockError {
            logger.error("\(e)")
            return .locked(e.description)
        }
        let state = ReadyState()
        let outcome = OutcomeBox()
        let admin = try AdminServer.application(address: options.httpAddress, registry: registry, logger: logger, web: options.web,
                                                ready: { await state.isReady }, notReadyReason: { [health] in health?.unreachableReason },
                                                routes: { [blocksView] in BucketWebRoutes.add(to: $0, state: blocksView) })
        let main = ServiceRun.work { [self] in
            await outcome.set(try await work(state))
        }
        // The job ending is the normal end of the process: it shuts the admin server down.
        // A scheduled job still does its pass when --http-address cannot be bound (another
        // service on the port): /metrics is a convenience there, the pass is the point.
        // A long-running compactor (--wait) without its metrics fails fast instead.
        let adminService: ServiceGroupConfiguration.ServiceConfiguration
        if options.wait {
            adminService = .init(service: admin)
        } else {
            let logger = self.logger, address = options.httpAddress
            adminService = .init(service: ClosureService {
                do { try await admin.run() } catch {
                    logger.warning("admin HTTP server failed; the pass goes on without /metrics", metadata: ["address": "\(address)", "err": "\(error)"])
                }
            }, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
        }
        let group = ServiceGroup(configuration: ServiceRun.configuration(
            [adminService, .init(service: main, successTerminationBehavior: .gracefullyShutdownGroup)], logger: logger))
        try await group.run()
        withExtendedLifetime(dirLock) {}
        return await outcome.value ?? .stopped
    }

    private func work(_ state: ReadyState) async throws -> Outcome {
        let metrics = CompactorMetrics()
        let lock = CompactorLock(bucket: bucket, ttl: options.lockTTL, metrics: metrics, logger: logger,
                                 selection: config.selection, replicaLabels: config.replicaLabels)
        do {
            if options.lockWait {
                try await lock.acquire(waiting: options.lockPollInterval, onWait: { h in
                    logger.info("waiting for the bucket lock", metadata: ["holder": "\(h.owner)", "host": "\(h.host)", "pid": "\(h.pid)",
                                                                          "expires": "\(formatRFC3339(h.expiresMs))"])
                }, onError: { logger.warning("cannot read or write the bucket lock; still waiting", metadata: ["err": "\($0)"]) })
            } else {
                try await lock.acquire()
            }
        } catch let e as CompactorLockError {
            logger.error("\(e)")
            // Not "someone else holds it" (exit 3, nothing to do): the job cannot run here at all.
            if case .conditionalWritesUnsupported = e { throw e }
            return .locked(e.description)
        } catch is CancellationError {
            return .stopped
        }
        logger.info("acquired the bucket lock", metadata: ["key": "\(lock.key)", "owner": "\(lock.owner)"])
        await state.setReady()
        let compactor = Compactor(bucket: bucket, config: config, lock: lock, metrics: metrics, logger: logger,
                                  onSync: { [blocksView] in blocksView.record($0) })
        let result: Outcome
        do {
            result = try await withThrowingTaskGroup(of: Outcome?.self) { tasks in
                tasks.addTask {
                    try await lock.keepRenewed { logger.warning("lock renewal failed; retrying", metadata: ["err": "\($0)"]) }
                    return nil
                }
                tasks.addTask { try await passes(compactor) }
                defer { tasks.cancelAll() }
                while let r = try await tasks.next() {
                    if let r { return r }
                }
                return .stopped
            }
        } catch {
            await release(lock)
            if error is CancellationError { return .stopped }
            // Another compactor was here first with groups we select: not ours to compact (exit 3).
            if let e = error as? CompactorLockError, case .overlap = e {
                logger.error("\(e)")
                return .locked(e.description)
            }
            throw error
        }
        await release(lock)
        return result
    }

    /// Releases the lock also when the work was cancelled (SIGTERM): requests made from the
    /// cancelled task would be cancelled with it, and the lock left to expire instead of
    /// being free at once (found on S3, where the filesystem bucket had hidden it).
    private func release(_ lock: CompactorLock) async {
        do {
            try await Task { try await lock.release() }.value
        } catch {
            logger.warning("cannot release the bucket lock; it expires by itself", metadata: ["err": "\(error)"])
        }
    }

    /// One pass, or passes every interval until cancelled (`--wait`).
    private func passes(_ compactor: Compactor) async throws -> Outcome {
        while true {
            let start = ContinuousClock.now
            var report: PassReport?
            do {
                report = try await compactor.runPass()
            } catch let e as CompactorLockError {
                throw e
            } catch is CancellationError {
                return .stopped
            } catch {
                logger.error("compaction pass failed", metadata: ["err": "\(error)"])
                guard options.wait else { throw error }
            }
            if let report {
                logger.info(report.completed ? "pass completed" : "pass incomplete",
                            metadata: ["report": "\(report)", "elapsed": "\(ContinuousClock.now - start)"])
                for (id, why) in report.quarantined.sorted(by: { $0.key < $1.key }) {
                    logger.error("quarantined block", metadata: ["block": "\(id)", "why": "\(why)"])
                }
                if !options.wait { return report.completed ? .completed(report) : .incomplete(report) }
            }
            do { try await Task.sleep(for: options.waitInterval) } catch { return .stopped }
        }
    }
}

private actor OutcomeBox {
    var value: CompactorService.Outcome?
    func set(_ v: CompactorService.Outcome) { value = v }
}
