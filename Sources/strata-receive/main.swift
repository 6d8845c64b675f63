import ArgumentParser
import Logging
import StrataCore
import StrataObjStore
import StrataPromQL
import StrataQuery
import StrataReceive
import StrataSecurity
import StrataServer
import StrataStoreAPI
import StrataTSDB

/// `strata-receive`: takes Prometheus remote write into per-tenant heads, spread over a
/// hashring with replication, and ships their blocks; flags as in Thanos's receiver.
@main
struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-receive",
        abstract: "Accepts Prometheus remote write (1.0 and 2.0), keeps recent data in per-tenant heads with a WAL, serves it over the Store API and ships 2h blocks to the bucket.")

    @Option(name: .customLong("remote-write.address"), help: "Listen host:port for POST /api/v1/receive.") var remoteWriteAddress = "0.0.0.0:19291"
    @Option(name: .customLong("grpc-address"), help: "Listen host:port for the Store API and thanos.WriteableStore (forwarding between receivers).") var grpcAddress = "0.0.0.0:10901"
    @Option(name: .customLong("http-address"), help: "Listen host:port for /metrics, /-/healthy, /-/ready.") var httpAddress = "0.0.0.0:10902"
    @Option(name: .customLong("tsdb.path"), help: "Data directory: one sub-directory (head WAL and blocks) per tenant.") var tsdbPath = "./data"
    @Option(name: .customLong("tsdb.retention"), help: "How long blocks are kept on local disk (shipped ones only, with a bucket); 0 keeps them.") var retention = "15d"
    @Option(name: .customLong("tsdb.block-duration"), help: "Duration of the blocks cut from the heads.") var blockDuration = "2h"
    @Option(name: .customLong("tsdb.wal-compression"), help: "Snappy-compress WAL records.") var walCompression = true
    @Option(name: .customLong("tsdb.wal-sync"), help: "batch (fsync before a write is acknowledged) or never (write, fsync per segment, as Prometheus).") var walSync = "batch"
    @Option(name: .customLong("tsdb.max-exemplars"), help: "Exemplars kept in memory per tenant (the oldest dropped when full); 0 stores none.") var maxExemplars = 0
    @Option(name: .customLong("label"), help: "External label name=\"value\" of every tenant's blocks (repeatable; at least one).") var labels: [String] = []
    @Option(name: .customLong("receive.tenant-header"), help: "HTTP header naming the tenant of a write.") var tenantHeader = "THANOS-TENANT"
    @Option(name: .customLong("receive.default-tenant-id"), help: "Tenant of writes without the tenant header.") var defaultTenant = "default-tenant"
    @Option(name: .customLong("receive.tenant-label-name"), help: "External label holding the tenant, added to each tenant's labels.") var tenantLabelName = "tenant_id"
    @Option(name: .customLong("receive.hashrings-file"), help: "Thanos hashrings file (JSON); re-read periodically (refresh interval below).") var hashringsFile: String?
    @Option(name: .customLong("receive.hashrings-algorithm"), help: "hashmod (ketama is not implemented).") var hashringsAlgorithm = "hashmod"
    @Option(name: .customLong("receive.hashrings-file-refresh-interval"), help: "How often the hashrings and limits files are re-read.") var hashringsRefresh = "5m"
    @Option(name: .customLong("receive.local-endpoint"), help: "This receiver's gRPC address as it appears in the hashrings file.") var localEndpoint: String?
    @Option(name: .customLong("receive.replication-factor"), help: "How many receivers each series is written to.") var replicationFactor = 1
    @Option(name: .customLong("receive-forward-timeout"), help: "Timeout of a write forwarded to another receiver.") var forwardTimeout = "5s"
    @Option(name: .customLong("receive.limits-config-file"), help: "Thanos limits file (YAML): request and head series limits per tenant, max_concurrency.") var limitsFile: String?
    @Option(name: .customLong("receive.max-inflight-bytes"), help: "Bytes of write requests decoded at once; beyond it writes get 503 (0: no limit).") var maxInflightBytes = "512MiB"
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.") var logLevel = "info"
    @Option(name: .customLong("log.format"), help: "logfmt or json.") var logFormat = "logfmt"
    @OptionGroup var objstore: ObjStoreOptions
    @Option(name: .customLong("wire-address"), help: "Strata's wire for Series calls and pushed-down queries between Strata components (faster than gRPC, same TLS): auto (the gRPC host, a free port, advertised in Info), host:port, or off.") var wireAddress = "auto"
    @OptionGroup var grpcServerTLS: GRPCServerTLSOptions
    @OptionGroup var grpcClientTLS: GRPCClientTLSOptions
    @OptionGroup var web: WebConfigOptions

    func run() async throws {
        try StrataLogHandler.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "receive")
        let registry = AdminServer.bootstrapMetrics()
        var tsdb = TenantHeads.Config(path: tsdbPath, externalLabels: try PromQL.parseExternalLabelFlags(labels))
        tsdb.tenantLabelName = tenantLabelName
        tsdb.retention = try parseDuration(retention)
        guard maxExemplars >= 0 else { throw ValidationError("--tsdb.max-exemplars must not be negative") }
        tsdb.maxExemplars = maxExemplars
        var head = HeadOptions(blockDuration: try parseDuration(blockDuration))
        guard let sync = WALSyncPolicy(rawValue: walSync) else { throw ValidationError("--tsdb.wal-sync must be batch or never") }
        head.walSync = sync
        head.walCompression = walCompression
        tsdb.head = head
        var config = ReceiveService.Config(tsdb: tsdb)
        config.remoteWriteAddress = remoteWriteAddress
        config.grpcAddress = grpcAddress
        config.httpAddress = httpAddress
        config.tenantHeader = tenantHeader
        config.defaultTenant = defaultTenant
        config.hashringsFile = hashringsFile
        config.hashringsAlgorithm = hashringsAlgorithm
        config.hashringsRefreshInterval = .milliseconds(try parseDuration(hashringsRefresh))
        config.localEndpoint = localEndpoint
        guard replicationFactor >= 1 else { throw ValidationError("--receive.replication-factor must be at least 1") }
        config.replicationFactor = replicationFactor
        config.forwardTimeout = .milliseconds(try parseDuration(forwardTimeout))
        config.limitsFile = limitsFile
        config.maxInflightBytes = Int(try parseByteSize(maxInflightBytes))
        config.grpcTLS = try grpcServerTLS.make(logger: logger)
        config.wire = try WireListen.parse(wireAddress)
        config.forwardTLS = try grpcClientTLS.make()
        config.web = try web.make()
        config.pushdown = StorePushdownAPI.factory()
        let monitored = (objstore.configFile ?? objstore.config) == nil ? nil : try objstore.makeMonitoredBucket(logger: logger)
        try await ReceiveService(config: config, bucket: monitored?.bucket, registry: registry, logger: logger, health: monitored?.health).run()
        try await monitored?.bucket.close()
    }
}
