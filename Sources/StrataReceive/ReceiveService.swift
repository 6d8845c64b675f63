import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StrataBucket
import StrataCore
import StrataObjStore
import StrataSecurity
import StrataServer
import StrataStoreAPI
import StrataTSDB

/// Everything `strata-receive` does, wired from its flags (Thanos's receiver): remote write
/// on `--remote-write.address`, one head per tenant under `--tsdb.path` cut into blocks and
/// shipped (meta.json last) when a bucket is configured, series spread over the hashring
/// with replication and forwarding over gRPC, the Store API over all tenants plus
/// `thanos.WriteableStore` on `--grpc-address`, and `/metrics`, `/-/healthy`, `/-/ready` on
/// `--http-address`. A restart flushes what the WAL replays into blocks before taking
/// writes; a stop (SIGTERM) stops taking writes, then flushes and ships every head.
public struct ReceiveService: Sendable {
    public struct Config: Sendable {
        public var tsdb: TenantHeads.Config
        public var remoteWriteAddress = "0.0.0.0:19291"
        public var grpcAddress = "0.0.0.0:10901"
        public var httpAddress = "0.0.0.0:10902"
        /// Thanos's Query API over the served series (query pushdown); nil serves none.
        public var pushdown: PushdownAPIFactory?
        public var tenantHeader = "THANOS-TENANT"
        public var defaultTenant = "default-tenant"
        public var hashringsFile: String?
        public var hashringsAlgorithm = "hashmod"
        public var hashringsRefreshInterval: Duration = .seconds(300)
        /// This receiver's address in the hashrings file (its gRPC address as peers dial it).
        public var localEndpoint: String?
        public var replicationFactor = 1
        public var forwardTimeout: Duration = .seconds(5)
        public var forwardTLS: ClientTLSConfig?
        public var limitsFile: String?
        /// Bytes of requests being decoded and written at once (0: no limit).
        public var maxInflightBytes = 512 << 20
        /// How often heads are checked for blocks to cut and ship.
        public var tsdbInterval: Duration = .seconds(30)
        public var web: WebConfig?
        public var grpcTLS: ServerTLS?
        /// `--wire-address`: Strata's wire for Series and pushed-down queries (auto: the gRPC host, a free port).
        public var wire: WireListen = .auto

        public init(tsdb: TenantHeads.Config) { self.tsdb = tsdb }
    }

    let config: Config
    let bucket: (any Bucket)?
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let health: ObjectStoreHealth?

    public init(config: Config, bucket: (any Bucket)?, registry: PrometheusCollectorRegistry, logger: Logger,
                health: ObjectStoreHealth? = nil) {
        self.config = config
        self.bucket = bucket
        self.registry = registry
        self.logger = logger
        self.health = health
    }

    public func run() async throws {
        let config = self.config, logger = self.logger, bucket = self.bucket, health = self.health
        guard !config.tsdb.externalLabels.isEmpty else {
            throw ConfigError("--label is required: the receiver's blocks need external labels (e.g. --label='receive_replica=\"0\"') to be told apart")
        }
        let metrics = ReceiveMetrics()
        metrics.registerKnownSeries(defaultTenant: config.defaultTenant)
        let configs = ConfigFiles(hashringsFile: config.hashringsFile, algorithm: config.hashringsAlgorithm,
                                  limitsFile: config.limitsFile, metrics: metrics, logger: logger)
        let local = HashringEndpoint(config.localEndpoint ?? config.grpcAddress)
        let (rings, _) = try configs.loadInitial(local: config.localEndpoint, self: local.address,
                                                 replicationFactor: config.replicationFactor)

        let heads = TenantHeads(config: config.tsdb, bucket: bucket, logger: logger)
        try heads.openExisting()
        // What the WAL brought back goes into blocks first, as Thanos's receiver does.
        await heads.maintain(force: true)

        let interners = TenantInterners()
        let writer = LocalWriter(heads: heads, limits: { configs.limits }, metrics: metrics, interners: interners)
        let forwarder = Forwarder(timeout: config.forwardTimeout, tls: config.forwardTLS)
        let distributor = Distributor(local: local, hashrings: rings, replicationFactor: config.replicationFactor, writer: writer,
                                      forward: { e, tenant, replica, batch in
                                          try await forwarder.forward(e, tenant: tenant, replica: replica, batch: batch)
                                      }, metrics: metrics, logger: logger)
        configs.onHashrings = { distributor.setHashrings($0) }

        let state = ReadyState()
        let acceptsWrites = AtomicFlag()
        let (grpcHost, grpcPort) = try AdminServer.parseAddress(config.grpcAddress)
        let grpc = GRPCStoreServer(store: TenantsStore(heads: heads), host: grpcHost, port: grpcPort, tls: config.grpcTLS, wire: config.wire,
                                   apis: FleetAPIs(exemplars: TenantsExemplars(heads: heads), pushdown: config.pushdown),
                                   services: [WriteableStoreService(distributor: distributor)])
        let admin = try AdminServer.application(
            address: config.httpAddress, registry: registry, logger: logger, web: config.web,
            ready: { await state.isReady }, notReadyReason: { health?.unreachableReason })
        let http = ReceiveHTTP(distributor: distributor, tenantHeader: HTTPField.Name(config.tenantHeader) ?? HTTPField.Name("THANOS-TENANT")!,
                               defaultTenant: config.defaultTenant, limits: { configs.limits },
                               budget: InflightBudget(limit: config.maxInflightBytes, metrics: metrics), interners: interners,
                               ready: { acceptsWrites.value }, metrics: metrics, logger: logger)
        let writeServer = try AdminServer.plainApplication(address: config.remoteWriteAddress, logger: logger, web: config.web) { router in
            http.add(to: router)
        }

        let main = ServiceRun.work { [registry] in
            _ = registry
            acceptsWrites.set(true)
            await state.setReady()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await grpc.serve() }
                group.addTask { await configs.watch(every: config.hashringsRefreshInterval) }
                group.addTask {
                    if let health, let bucket { Task { await health.probe(bucket, every: .seconds(10)) } }
                    while !Task.isCancelled {
                        try await Task.sleep(for: config.tsdbInterval)
                        await heads.maintain()
                    }
                }
                defer { grpc.shutdown() }
                try await group.next()
                group.cancelAll()
            }
        }
        var failure: (any Error)?
        do { try await ServiceRun.run([admin, writeServer, main], logger: logger) } catch { failure = error }
        acceptsWrites.set(false)
        forwarder.close()
        // Every acknowledged sample is in a WAL; the flush makes blocks of them and ships them.
        await heads.flushAndClose()
        logger.info("receiver stopped: heads flushed")
        if let failure { throw failure }
    }
}
