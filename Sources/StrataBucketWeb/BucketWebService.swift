import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StrataBucket
import StrataCore
import StrataObjStore
import StrataSecurity
import StrataServer

/// `strata bucket web` (Thanos `tools bucket web`): reads every block's meta.json and
/// markers every `refresh` and serves the viewer, with /metrics, /-/healthy and /-/ready
/// (ready once the bucket was read), until SIGTERM/SIGINT or cancellation.
///
/// A sync that fails or takes longer than `timeout` keeps the last good list on the page,
/// with the error; the next one is tried one `refresh` later, so an outage costs nothing but
/// staleness, and `strata_bucket_web_sync_failures_total` tells the operator.
public struct BucketWebService: Sendable {
    public struct Options: Sendable {
        public var httpAddress = "0.0.0.0:10902"
        public var refresh: Duration = .seconds(1800)
        public var timeout: Duration = .seconds(300)
        /// `--web.route-prefix`: the page and /api/v1/blocks under this path.
        public var routePrefix = ""
        /// External label used as a group's title.
        public var label: String?
        /// `--http.config`; nil: plain HTTP without auth.
        public var web: WebConfig?

        public init() {}
    }

    public struct SyncTimeout: Error, CustomStringConvertible {
        public let after: Duration
        public var description: String { "reading the bucket took longer than --timeout (\(after))" }
    }

    let options: Options
    let bucket: any Bucket
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let health: ObjectStoreHealth?
    public let state: BucketViewState

    public init(options: Options, bucket: any Bucket, registry: PrometheusCollectorRegistry, logger: Logger,
                health: ObjectStoreHealth? = nil) {
        self.options = options
        self.bucket = bucket
        self.registry = registry
        self.logger = logger
        self.health = health
        state = BucketViewState(titleLabel: options.label, factory: PrometheusMetricsFactory(registry: registry))
    }

    /// Serves until a stop signal or cancellation; `onRunning` gets the bound HTTP port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let ready = ReadyState()
        let admin = try AdminServer.application(address: options.httpAddress, registry: registry, logger: logger, web: options.web,
                                                ready: { await ready.isReady }, notReadyReason: { [health] in health?.unreachableReason },
                                                routes: { BucketWebRoutes.add(to: $0, state: state, routePrefix: options.routePrefix) }, onRunning: onRunning)
        // Stopping (a signal, cancellation) ends the loop normally: a clean exit, status 0.
        let loop = ServiceRun.work { [self] in
            while !Task.isCancelled {
                if await syncOnce() { await ready.setReady() }
                do { try await Task.sleep(for: options.refresh) } catch { return }
            }
        }
        try await ServiceRun.run([admin, loop], logger: logger)
    }

    /// One read of the bucket into `state`, bounded by `timeout`; true when it succeeded.
    @discardableResult
    public func syncOnce() async -> Bool {
        let start = ContinuousClock.now
        do {
            let timeout = options.timeout
            let snap = try await withThrowingTaskGroup(of: BlockMetaFetcher.Snapshot?.self) { group in
                group.addTask { try await BlockMetaFetcher(bucket: bucket, logger: logger).fetch() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw SyncTimeout(after: timeout)
                }
                defer { group.cancelAll() }
                return try await group.next()!!
            }
            state.record(snap)
            logger.info("read the bucket", metadata: ["blocks": "\(snap.metas.count)", "partial": "\(snap.partial.count)",
                                                      "unreadable": "\(snap.corrupted.count)", "elapsed": "\(ContinuousClock.now - start)"])
            return true
        } catch {
            if Task.isCancelled { return false }
            state.recordFailure(error)
            logger.error("cannot read the bucket; the viewer keeps the last list", metadata: ["err": "\(error)"])
            return false
        }
    }
}
