import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import StrataBucket
import StrataCore
import StrataNotify
import StrataObjStore
import StrataPromQL
import StrataQuery
import StrataSecurity
import StrataServer
import StrataStore
import StrataStoreAPI
import StrataTSDB
import UnixSignals

/// Everything `strata-rule` does, wired from its flags (Thanos's ruler): evaluates the rule
/// files' groups through the queriers, appends the results to a head with a write-ahead log
/// in `--data-dir`, cuts it into 2h blocks and ships them (meta.json last) when a bucket is
/// configured, sends alerts to Alertmanager, serves the Store API over the head and its
/// blocks plus the Rules API on `--grpc-address`, and on `--http-address` `/api/v1/rules`,
/// `/api/v1/alerts`, `/-/reload`, `/metrics`, `/-/healthy`, `/-/ready`. `SIGHUP` reloads too.
public struct RuleService: Sendable {
    public struct Config: Sendable {
        public var ruleFiles: [String]
        public var dataDir: String
        public var externalLabels: Labels
        public var grpcAddress = "0.0.0.0:10901"
        /// Thanos's Query API over the served series (query pushdown); nil serves none.
        public var pushdown: PushdownAPIFactory?
        public var httpAddress = "0.0.0.0:10902"
        public var evalInterval: Int64 = 60_000
        public var ruleQueryOffset: Int64 = 0
        public var resendDelay: Int64 = 60_000
        public var forOutageTolerance: Int64 = 3_600_000
        public var forGracePeriod: Int64 = 600_000
        public var blockDuration: Int64 = 2 * 3_600_000
        /// Local blocks older than this are deleted (0 keeps them).
        public var retention: Int64 = 48 * 3_600_000
        public var walSync = WALSyncPolicy.everyBatch
        public var walCompression = true
        public var query = QueryClient.Config()
        public var alertmanagers = AlertmanagerSenderConfig()
        /// `--alert.query-url` and `--alert.query-template`: the alerts' generator URL.
        public var alertQueryURL = ""
        public var alertQueryTemplate = "/graph?g0.expr={{.Expr}}&g0.tab=1"
        /// How often blocks are cut, shipped and retention applied.
        public var tsdbInterval: Duration = .seconds(30)
        public var web: WebConfig?
        public var grpcTLS: ServerTLS?
        /// `--wire-address`: Strata's wire for Series and pushed-down queries (auto: the gRPC host, a free port).
        public var wire: WireListen = .auto

        public init(ruleFiles: [String], dataDir: String, externalLabels: Labels) {
            self.ruleFiles = ruleFiles
            self.dataDir = dataDir
            self.externalLabels = externalLabels
        }
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
        guard !config.externalLabels.isEmpty else {
            throw ConfigError("--label is required: the ruler's blocks and alerts need external labels (e.g. --label='replica=\"a\"') to be told apart")
        }
        var headOptions = HeadOptions(blockDuration: config.blockDuration, walSync: config.walSync)
        headOptions.walCompression = config.walCompression
        let head = try Head.open(dir: config.dataDir, options: headOptions)
        logger.info("head opened", metadata: ["dir": "\(config.dataDir)", "replayed": "\(head.replay)"])
        let store = TSDBStore(name: config.dataDir, head: head, externalLabels: config.externalLabels, component: "rule")
        let local = StoreQueryable.local(store)
        let externalLabels = config.externalLabels
        let (grpcHost, grpcPort) = try AdminServer.parseAddress(config.grpcAddress)
        // The sender adds the external labels and drops --alert.label-drop (Thanos's queue).
        var senderConfig = config.alertmanagers
        senderConfig.externalLabels = externalLabels
        let sender = try AlertSender(config: senderConfig, logger: logger)
        // From here on the HTTP client must be shut down however the run ends.
        let queries = QueryClient(config: config.query, logger: logger)

        let env = RuleEnvironment(
            query: { expr, t, partial in try await queries.instantQuery(expr, at: t, partialResponse: partial) },
            head: head,
            notify: { expr, alerts in
                sender.send(alerts.map { Self.notification($0, expr: expr, config: config) })
            },
            lastSample: { labels, mint, maxt in
                let ms = try labels.pairs.map { try Matcher(.equal, $0.name, $0.value) }
                let found = try await local.select(matchers: ms, hints: SelectHints(start: mint, end: maxt))
                guard let s = found.first?.samples else { return nil }
                let i = s.firstIndex(atOrAfter: maxt + 1)
                return i > 0 ? (s.timestamps[i - 1], s.values[i - 1]) : nil
            },
            externalLabels: externalLabels, externalURL: config.alertQueryURL,
            defaultInterval: config.evalInterval, defaultQueryOffset: config.ruleQueryOffset,
            resendDelay: config.resendDelay, outageTolerance: config.forOutageTolerance,
            forGracePeriod: config.forGracePeriod, logger: logger)
        let manager = RuleManager(patterns: config.ruleFiles, env: env)
        // A rule file that does not load stops the start, naming file, line and reason.
        let state = ReadyState()
        let admin: AdminServer.App
        do {
            try await manager.reload()
            admin = try AdminServer.application(
                address: config.httpAddress, registry: registry, logger: logger, web: config.web,
                ready: { await state.isReady }, notReadyReason: { health?.unreachableReason },
                routes: { router in RuleRoutes.add(to: router, manager: manager, logger: logger) })
        } catch {
            try? await queries.shutdown()
            try? head.close()
            throw error
        }
        let grpc = GRPCStoreServer(store: store, host: grpcHost, port: grpcPort, tls: config.grpcTLS, wire: config.wire,
                                   apis: FleetAPIs(rules: manager, pushdown: config.pushdown))

        let main = ServiceRun.work { [registry] in
            _ = registry
            await state.setReady()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await grpc.serve() }
                group.addTask { await sender.run() }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        do { try await manager.reload() } catch {
                            logger.error("reloading the rule files failed; the running rules stay", metadata: ["err": "\(error)"])
                        }
                    }
                }
                group.addTask {
                    let tsdb = HeadBlocks(head: head, externalLabels: config.externalLabels, source: "ruler",
                                          retention: config.retention, bucket: bucket, component: "rule", logger: logger)
                    if let health, let bucket { Task { await health.probe(bucket, every: .seconds(10)) } }
                    while !Task.isCancelled {
                        await tsdb.maintain()
                        try await Task.sleep(for: config.tsdbInterval)
                    }
                }
                defer { grpc.shutdown() }
                try await group.next()
                group.cancelAll()
            }
        }
        var failure: (any Error)?
        do { try await ServiceRun.run([admin, main], logger: logger) } catch { failure = error }
        await manager.stop()
        sender.stop()
        try? await queries.shutdown()
        // What was acknowledged is in the WAL; closing pads and syncs it for the next start.
        try? head.close()
        if let failure { throw failure }
    }

    /// A rule's alert as Alertmanager receives it (Thanos's ruler: `StartsAt` the time it
    /// fired, `EndsAt` its resolution or how long it stays valid).
    static func notification(_ a: RuleAlert, expr: String, config: Config) -> StrataNotify.Alert {
        let link = config.alertQueryTemplate.replacingOccurrences(of: "{{.Expr}}", with: goQueryEscape(expr))
        return StrataNotify.Alert(labels: a.labels, annotations: a.annotations,
                                  startsAt: a.firedAt, endsAt: a.resolvedAt != 0 ? a.resolvedAt : a.validUntil,
                                  generatorURL: config.alertQueryURL + link)
    }

    /// Go's `url.QueryEscape`: spaces as `+`, everything but unreserved characters escaped.
    static func goQueryEscape(_ s: String) -> String {
        urlEncode(s).replacingOccurrences(of: "%20", with: "+")
    }
}
