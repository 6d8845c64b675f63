import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import StrataCore
import StrataObjStore
import StrataSecurity
import StrataServer
import StrataStoreAPI

/// Everything `strata-store` does, wired from its flags: an initial sync, then the Store API
/// on `--grpc-address` and a re-sync every `--sync-block-duration`, with /metrics,
/// /-/healthy and /-/ready (ready only after the first sync) on `--http-address`, until
/// SIGTERM or SIGINT, which stop the gRPC server gracefully.
public struct StoreGatewayService: Sendable {
    public struct Config: Sendable {
        public var store: BucketStore.Config
        public var grpcAddress: String
        public var httpAddress: String
        public var syncInterval: Duration = .seconds(15 * 60)
        /// Thanos's Query API over the served series (query pushdown); nil serves none.
        public var pushdown: PushdownAPIFactory?
        /// Pause before another initial sync after one failed (its requests' retries ran out).
        public var initialSyncRetry: Duration = .seconds(5)
        /// `--http.config` and `--grpc-server-tls-*`; nil: plain HTTP, plaintext gRPC.
        public var web: WebConfig?
        public var grpcTLS: ServerTLS?
        /// `--wire-address`: Strata's wire for Series and pushed-down queries (auto: the gRPC host, a free port).
        public var wire: WireListen = .auto

        public init(store: BucketStore.Config, grpcAddress: String, httpAddress: String) {
            self.store = store
            self.grpcAddress = grpcAddress
            self.httpAddress = httpAddress
        }
    }

    let config: Config
    let bucket: any Bucket
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// Reachability of the bucket: `/-/ready` answers 503 with the reason while it is down.
    let health: ObjectStoreHealth?

    public init(config: Config, bucket: any Bucket, registry: PrometheusCollectorRegistry, logger: Logger,
                health: ObjectStoreHealth? = nil) {
        self.config = config
        self.bucket = bucket
        self.registry = registry
        self.logger = logger
        self.health = health
    }

    public func run() async throws {
        try FileManager.default.createDirectory(atPath: config.store.dataDir, withIntermediateDirectories: true)
        let store = BucketStore(name: "bucket", bucket: bucket, config: config.store, logger: logger)
        let admin = try AdminServer.application(address: config.httpAddress, registry: registry, logger: logger, web: config.web,
                                                ready: { store.isSynced }, notReadyReason: { [health] in health?.unreachableReason })
        let (grpcHost, grpcPort) = try AdminServer.parseAddress(config.grpcAddress)
        let config = self.config
        let logger = self.logger
        let health = self.health, bucket = self.bucket
        let main = ServiceRun.work {
            let start = ContinuousClock.now
            // The first sync must succeed before serving: a gateway that cannot read its
            // bucket would answer every query with nothing. While the store is down it stays
            // up and unready (`/-/ready` names the cause) instead of exiting once the retries
            // of one sync run out, so an outage at start-up is ridden out, not crash-looped; a
            // wrong configuration (403, no such bucket) still ends it with the error.
            // SIGTERM during it is a clean stop.
            while true {
                do {
                    _ = try await store.sync()
                    break
                } catch is CancellationError {
                    return
                } catch let error as BucketError where error.isOutage {
                    logger.error("initial sync failed; retrying", metadata: ["err": "\(error)", "in": "\(config.initialSyncRetry)"])
                    do { try await Task.sleep(for: config.initialSyncRetry) } catch { return }
                }
            }
            logger.info("initial sync done", metadata: ["blocks": "\(store.loadedBlocks.count)",
                                                        "elapsed": "\(ContinuousClock.now - start)"])
            let grpc = GRPCStoreServer(store: store, host: grpcHost, port: grpcPort, tls: config.grpcTLS, wire: config.wire,
                                       apis: FleetAPIs(pushdown: config.pushdown))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await grpc.serve() }
                if let health { group.addTask { await health.probe(bucket, every: .seconds(10)) } }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: config.syncInterval) } catch { return }
                        do { _ = try await store.sync() } catch is CancellationError {
                            return
                        } catch {
                            logger.error("block sync failed; serving the blocks of the last sync", metadata: ["err": "\(error)"])
                        }
                    }
                }
                try await withTaskCancellationHandler {
                    try await group.next()
                } onCancel: {
                    grpc.shutdown()
                }
                grpc.shutdown()
                group.cancelAll()
            }
        }
        try await ServiceRun.run([admin, main], logger: logger)
    }
}
