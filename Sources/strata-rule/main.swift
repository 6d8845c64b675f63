import ArgumentParser
import Logging
import StrataCore
import StrataNotify
import StrataObjStore
import StrataPromQL
import StrataQuery
import StrataRule
import StrataSecurity
import StrataServer
import StrataStoreAPI
import StrataTSDB

/// `strata-rule`: evaluates recording and alerting rules over the whole fleet; flags as in
/// Thanos's ruler.
@main
struct RuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-rule",
        abstract: "Evaluates recording and alerting rules through the queriers, writes the results as blocks and sends alerts to Alertmanager.")

    @Option(name: .customLong("rule-file"), help: "Rule files (globs; repeatable). Re-read on SIGHUP or POST /-/reload.") var ruleFiles: [String] = ["rules/"]
    @Option(name: .customLong("eval-interval"), help: "Default evaluation interval of a group.") var evalInterval = "1m"
    @Option(name: .customLong("rule-query-offset"), help: "Default query_offset of a group.") var ruleQueryOffset = "0s"
    @Option(name: .customLong("resend-delay"), help: "Minimum time before an alert is sent to Alertmanager again.") var resendDelay = "1m"
    @Option(name: .customLong("for-outage-tolerance"), help: "Longest ruler outage after which the `for` state of alerts is still restored.") var forOutageTolerance = "1h"
    @Option(name: .customLong("for-grace-period"), help: "Minimum time between a restart and a restored alert firing.") var forGracePeriod = "10m"
    @Option(name: .customLong("label"), help: "External label name=\"value\" of the ruler's blocks and alerts (repeatable; at least one).") var labels: [String] = []
    @Option(name: .customLong("data-dir"), help: "Data directory: the head's write-ahead log and the blocks cut from it.") var dataDir = "data/"
    @Option(name: .customLong("tsdb.block-duration"), help: "Duration of the blocks cut from the head.") var blockDuration = "2h"
    @Option(name: .customLong("tsdb.retention"), help: "How long blocks are kept on local disk (shipped ones only, with a bucket); 0 keeps them.") var retention = "48h"
    @Option(name: .customLong("tsdb.wal-compression"), help: "Snappy-compress WAL records.") var walCompression = true
    @Option(name: .customLong("tsdb.wal-sync"), help: "batch (fsync before an evaluation's samples count as written) or never (write, fsync per segment, as Prometheus).") var walSync = "batch"
    @Option(name: .customLong("query"), help: "Querier HTTP address (host:port or URL; dns+ / dnssrv+ prefixes looked up); repeatable.") var queries: [String] = []
    @Option(name: .customLong("query.sd-files"), help: "File SD files with querier addresses (globs; repeatable).") var querySDFiles: [String] = []
    @Option(name: .customLong("query.sd-interval"), help: "How often --query.sd-files are re-read.") var querySDInterval = "5m"
    @Option(name: .customLong("query.sd-dns-interval"), help: "How long a DNS answer for --query is used.") var queryDNSInterval = "30s"
    @Option(name: .customLong("query.http-method"), help: "GET or POST.") var queryHTTPMethod = "POST"
    @Option(name: .customLong("query.timeout"), help: "Timeout of one rule's query.") var queryTimeout = "2m"
    @Option(name: .customLong("alert.query-url"), help: "URL of the querier's UI, the prefix of the alerts' generator URL.") var alertQueryURL = ""
    @Option(name: .customLong("alert.query-template"), help: "Path of the generator URL; {{.Expr}} is the rule's expression, query-escaped.") var alertQueryTemplate = "/graph?g0.expr={{.Expr}}&g0.tab=1"
    @Option(name: .customLong("grpc-address"), help: "Listen host:port for the Store API and Rules API (gRPC).") var grpcAddress = "0.0.0.0:10901"
    @Option(name: .customLong("http-address"), help: "Listen host:port for /api/v1/rules, /api/v1/alerts, /-/reload, /metrics, /-/healthy, /-/ready.") var httpAddress = "0.0.0.0:10902"
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.") var logLevel = "info"
    @Option(name: .customLong("log.format"), help: "logfmt or json.") var logFormat = "logfmt"
    @OptionGroup var alertmanagers: AlertmanagerOptions
    @OptionGroup var objstore: ObjStoreOptions
    @Option(name: .customLong("wire-address"), help: "Strata's wire for Series calls and pushed-down queries between Strata components (faster than gRPC, same TLS): auto (the gRPC host, a free port, advertised in Info), host:port, or off.") var wireAddress = "auto"
    @OptionGroup var grpcServerTLS: GRPCServerTLSOptions
    @OptionGroup var web: WebConfigOptions

    func run() async throws {
        try StrataLogHandler.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "rule")
        let registry = AdminServer.bootstrapMetrics()
        var config = RuleService.Config(ruleFiles: ruleFiles, dataDir: dataDir, externalLabels: try PromQL.parseExternalLabelFlags(labels))
        config.grpcAddress = grpcAddress
        config.httpAddress = httpAddress
        config.pushdown = StorePushdownAPI.factory()
        config.evalInterval = try parseDuration(evalInterval)
        config.ruleQueryOffset = try parseDuration(ruleQueryOffset)
        config.resendDelay = try parseDuration(resendDelay)
        config.forOutageTolerance = try parseDuration(forOutageTolerance)
        config.forGracePeriod = try parseDuration(forGracePeriod)
        config.blockDuration = try parseDuration(blockDuration)
        config.retention = try parseDuration(retention)
        config.walCompression = walCompression
        guard let sync = WALSyncPolicy(rawValue: walSync) else { throw ValidationError("--tsdb.wal-sync must be batch or never") }
        config.walSync = sync
        guard config.evalInterval > 0 else { throw ValidationError("--eval-interval must be positive") }
        config.query.addresses = queries
        config.query.sdFiles = querySDFiles
        config.query.sdInterval = .milliseconds(try parseDuration(querySDInterval))
        config.query.dnsInterval = .milliseconds(try parseDuration(queryDNSInterval))
        guard ["GET", "POST"].contains(queryHTTPMethod) else { throw ValidationError("--query.http-method must be GET or POST") }
        config.query.method = queryHTTPMethod
        config.query.timeout = .milliseconds(try parseDuration(queryTimeout))
        guard !queries.isEmpty || !querySDFiles.isEmpty else { throw ValidationError("no querier: give --query or --query.sd-files") }
        config.alertmanagers = try alertmanagers.make()
        config.alertQueryURL = alertQueryURL
        config.alertQueryTemplate = alertQueryTemplate
        config.grpcTLS = try grpcServerTLS.make(logger: logger)
        config.wire = try WireListen.parse(wireAddress)
        config.web = try web.make()
        let monitored = (objstore.configFile ?? objstore.config) == nil ? nil : try objstore.makeMonitoredBucket(logger: logger)
        try await RuleService(config: config, bucket: monitored?.bucket, registry: registry, logger: logger, health: monitored?.health).run()
        try await monitored?.bucket.close()
    }
}
