import ArgumentParser
import Foundation
import Logging
import StrataBucket
import StrataCore
import StrataObjStore
import StrataQuery
import StrataSecurity
import StrataServer
import StrataStoreAPI
import StrataStore

/// `strata-store`: the store gateway; flags as in Thanos's `thanos store`.
@main
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-store",
        abstract: "Serves the blocks of an object storage bucket over the Store API.")

    @Option(name: .customLong("data-dir"), help: "Local directory for index-headers and cached meta.json files.") var dataDir = "./data"
    @Option(name: .customLong("grpc-address"), help: "Listen host:port for the Store API (gRPC).") var grpcAddress = "0.0.0.0:10901"
    @Option(name: .customLong("http-address"), help: "Listen host:port for /metrics, /-/healthy, /-/ready.") var httpAddress = "0.0.0.0:10902"
    @Option(name: .customLong("sync-block-duration"), help: "How often to sync blocks from the bucket.") var syncBlockDuration = "15m"
    @Option(name: .customLong("min-time"), help: "Serve only blocks and data after this time (RFC3339, unix seconds or a duration like -2w).") var minTime: String?
    @Option(name: .customLong("max-time"), help: "Serve only blocks and data before this time (RFC3339, unix seconds or a duration like -2w).") var maxTime: String?
    @Option(name: .customLong("selector.relabel-config-file"), help: "YAML relabel rules (keep, drop, hashmod) over external labels and __block_id selecting the blocks to serve.") var relabelFile: String?
    @Option(name: .customLong("selector.relabel-config"), help: "The relabel rules inline (alternative to the file).") var relabelInline: String?
    @Option(name: .customLong("ignore-deletion-marks-delay"), help: "Stop serving blocks marked for deletion longer ago than this.") var ignoreDeletionMarksDelay = "24h"
    @Option(name: .customLong("index-cache.config-file"), help: "YAML index cache config in Thanos's format (type: IN-MEMORY, REDIS or MEMCACHED); default in-memory 250MB.") var indexCacheFile: String?
    @Option(name: .customLong("index-cache.config"), help: "The index cache config inline (alternative to the file).") var indexCacheInline: String?
    @Option(name: .customLong("store.limits.request-series"), help: "Series a Series request may touch (0: no limit).") var requestSeries = 0
    @Option(name: .customLong("store.limits.request-samples"), help: "Samples a Series request may return (0: no limit).") var requestSamples = 0
    @Option(name: .customLong("store.limits.request-bytes"), help: "Bytes a request may fetch from the bucket (its memory budget).") var requestBytes = 512 << 20
    @Option(name: .customLong("store.grpc.series-max-concurrency"), help: "Series requests served at once; more are refused with ResourceExhausted.") var seriesMaxConcurrency = 20
    @Option(name: .customLong("block-sync-concurrency"), help: "Index-headers built at once during a sync.") var blockSyncConcurrency = 20
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.") var logLevel = "info"
    @Option(name: .customLong("log.format"), help: "logfmt or json.") var logFormat = "logfmt"
    @OptionGroup var objstore: ObjStoreOptions
    @Option(name: .customLong("wire-address"), help: "Strata's wire for Series calls and pushed-down queries between Strata components (faster than gRPC, same TLS): auto (the gRPC host, a free port, advertised in Info), host:port, or off.") var wireAddress = "auto"
    @OptionGroup var grpcServerTLS: GRPCServerTLSOptions
    @OptionGroup var web: WebConfigOptions

    func run() async throws {
        try StrataLogHandler.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "store")
        let registry = AdminServer.bootstrapMetrics()
        var store = BucketStore.Config(dataDir: dataDir)
        if let minTime { store.minTime = try parseTimeFlag(minTime) }
        if let maxTime { store.maxTime = try parseTimeFlag(maxTime) }
        store.ignoreDeletionMarksDelay = Double(try parseDuration(ignoreDeletionMarksDelay)) / 1000
        if let relabelFile {
            store.relabel = try BlockRelabel(yaml: try String(contentsOfFile: relabelFile, encoding: .utf8))
        } else if let relabelInline {
            store.relabel = try BlockRelabel(yaml: relabelInline)
        }
        var cache = IndexCacheConfig()
        if let indexCacheFile {
            cache = try IndexCacheConfig(yaml: try String(contentsOfFile: indexCacheFile, encoding: .utf8))
        } else if let indexCacheInline {
            cache = try IndexCacheConfig(yaml: indexCacheInline)
        }
        store.indexCache = try cache.makeCache(logger: logger)
        store.limits.requestSeries = requestSeries
        store.limits.requestSamples = requestSamples
        store.limits.requestBytes = requestBytes
        store.limits.seriesMaxConcurrency = seriesMaxConcurrency
        store.blockSyncConcurrency = blockSyncConcurrency
        var config = StoreGatewayService.Config(store: store, grpcAddress: grpcAddress, httpAddress: httpAddress)
        config.grpcTLS = try grpcServerTLS.make(logger: logger)
        config.wire = try WireListen.parse(wireAddress)
        config.web = try web.make()
        config.pushdown = StorePushdownAPI.factory()
        config.syncInterval = .milliseconds(try parseDuration(syncBlockDuration))
        let (bucket, health) = try objstore.makeMonitoredBucket(logger: logger)  // instrumented already (strata_objstore_*)
        do {
            try await StoreGatewayService(config: config, bucket: bucket, registry: registry, logger: logger, health: health).run()
        } catch {
            try? await bucket.close()
            throw error
        }
        try await bucket.close()
    }
}
