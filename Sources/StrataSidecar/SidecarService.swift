import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StrataCore
import StrataBucket
import StrataObjStore
import StrataSecurity
import StrataServer
import StrataStoreAPI
import StrataTSDB

/// Everything `strata-sidecar` does, wired from its flags: waits for Prometheus, checks its
/// external labels and block durations, serves the Store API over remote read and the
/// Targets, Metadata, Exemplars and Rules APIs over its HTTP API, ships blocks
/// every 30 s when a bucket is configured, and serves /metrics, /-/healthy, /-/ready.
public struct SidecarService: Sendable {
    public struct Config: Sendable {
        public var tsdbPath: String
        public var prometheusURL: String
        public var grpcAddress: String
        public var httpAddress: String
        public var uploadCompacted: Bool
        /// Thanos's Query API over the served series (query pushdown); nil serves none.
        public var pushdown: PushdownAPIFactory?
        public var minTime: Int64?
        public var shipInterval: Duration = .seconds(30)
        /// How long to wait for Prometheus at start-up before giving up.
        public var readyTimeout: Duration = .seconds(600)
        /// `--http.config` and `--grpc-server-tls-*`; nil: plain HTTP, plaintext gRPC.
        public var web: WebConfig?
        public var grpcTLS: ServerTLS?
        /// `--wire-address`: Strata's wire for Series and pushed-down queries (auto: the gRPC host, a free port).
        public var wire: WireListen = .auto
        /// `--prometheus.http-client-file`: how to authenticate to Prometheus.
        public var prometheusClient = HTTPClientConfig()

        public init(tsdbPath: String, prometheusURL: String, grpcAddress: String, httpAddress: String,
                    uploadCompacted: Bool, minTime: Int64?) {
            self.tsdbPath = tsdbPath
            self.prometheusURL = prometheusURL
            self.grpcAddress = grpcAddress
            self.httpAddress = httpAddress
            self.uploadCompacted = uploadCompacted
            self.minTime = minTime
        }
    }

    let config: Config
    let bucket: (any Bucket)?
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// Reachability of the bucket: `/-/ready` answers 503 with the reason while it is down.
    let health: ObjectStoreHealth?

    public init(config: Config, bucket: (any Bucket)?, registry: PrometheusCollectorRegistry, logger: Logger,
                health: ObjectStoreHealth? = nil) {
        self.config = config
        self.bucket = bucket
        self.registry = registry
        self.logger = logger
        self.health = health
    }

    /// Start-up checks, as errors that say what to fix.
    static func check(externalLabels: Labels, flags: [String: String], uploadCompacted: Bool) throws {
        guard !externalLabels.isEmpty else {
            throw ConfigError("Prometheus has no external labels: set global.external_labels in prometheus.yml (e.g. cluster and replica); the querier and compactor need them to tell this Prometheus's data apart")
        }
        let minD = flags["storage.tsdb.min-block-duration"] ?? "", maxD = flags["storage.tsdb.max-block-duration"] ?? ""
        if minD != maxD && !uploadCompacted {
            throw ConfigError("Prometheus compacts its blocks locally (--storage.tsdb.min-block-duration=\(minD), --storage.tsdb.max-block-duration=\(maxD)): set both to the same value (2h), or pass --shipper.upload-compacted")
        }
    }

    /// Oldest sample time among the blocks in the TSDB dir (for Info). Without blocks every
    /// sample is in Prometheus's head, whose start the directory does not tell: no lower bound
    /// then (answering "now" hid the head's first hours from every query of the recent past).
    static func oldestBlockTime(_ tsdbPath: String) -> Int64 {
        var oldest = Int64.max
        for n in (try? listDirectory(tsdbPath)) ?? [] where n.count == 26 {
            if let m = try? BlockMeta.read(dir: tsdbPath + "/" + n) { oldest = min(oldest, m.minTime) }
        }
        return oldest == .max ? .min : oldest
    }

    public func run() async throws {
        let prometheus = try PrometheusClient(url: config.prometheusURL, auth: config.prometheusClient)
        let state = ReadyState()
        let uploads = Counter(label: "strata_shipper_uploads_total")
        let failures = Counter(label: "strata_shipper_upload_failures_total")
        let syncs = Counter(label: "strata_shipper_dir_syncs_total")
        let syncFailures = Counter(label: "strata_shipper_dir_sync_failures_total")
        let lastSuccess = Gauge(label: "strata_shipper_last_successful_upload_time_seconds")

        let admin = try AdminServer.application(address: config.httpAddress, registry: registry, logger: logger, web: config.web,
                                                ready: { await state.isReady }, notReadyReason: { [health] in health?.unreachableReason })
        let (grpcHost, grpcPort) = try AdminServer.parseAddress(config.grpcAddress)
        let config = self.config
        let logger = self.logger
        let bucket = self.bucket
        let health = self.health

        let main = ServiceRun.work { [registry] in
            _ = registry
            logger.info("waiting for Prometheus", metadata: ["url": "\(config.prometheusURL)"])
            try await prometheus.waitUntilReady(deadline: config.readyTimeout)
            let ext = try await prometheus.externalLabels()
            try Self.check(externalLabels: ext, flags: try await prometheus.flags(), uploadCompacted: config.uploadCompacted)
            logger.info("Prometheus ready", metadata: ["external_labels": "\(ext)"])
            let store = PrometheusStore(prometheus: prometheus, externalLabels: ext, minTime: {
                max(config.minTime ?? .min, Self.oldestBlockTime(config.tsdbPath))
            })
            // Targets, Metadata, Exemplars and Rules from the same Prometheus, on the same port.
            let fleet = PrometheusFleet(prometheus: prometheus, externalLabels: ext)
            let grpc = GRPCStoreServer(store: store, host: grpcHost, port: grpcPort, tls: config.grpcTLS, wire: config.wire,
                                       apis: fleet.apis(pushdown: config.pushdown))
            await state.setReady()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await grpc.serve() }
                if let bucket {
                    let labels = Dictionary(ext.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                    let shipper = Shipper(tsdbPath: config.tsdbPath, bucket: bucket, externalLabels: labels,
                                          uploadCompacted: config.uploadCompacted, logger: logger)
                    // With everything shipped, a sync makes no request: probe so /-/ready stays true to the bucket.
                    if let health { group.addTask { await health.probe(bucket, every: .seconds(10)) } }
                    group.addTask {
                        while !Task.isCancelled {
                            do {
                                let r = try await shipper.sync()
                                syncs.increment()
                                uploads.increment(by: r.uploaded)
                                failures.increment(by: r.failed)
                                if r.failed == 0 { lastSuccess.record(Date().timeIntervalSince1970) }
                            } catch {
                                syncFailures.increment()
                                logger.error("shipper sync failed", metadata: ["err": "\(error)"])
                            }
                            try await Task.sleep(for: config.shipInterval)
                        }
                    }
                } else {
                    logger.info("no --objstore.config: serving the Store API only, not shipping blocks")
                }
                defer { grpc.shutdown() }
                try await group.next()
                group.cancelAll()
            }
        }
        try await ServiceRun.run([admin, main], logger: logger)
        try? await prometheus.shutdown()
    }
}
