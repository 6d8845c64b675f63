import ArgumentParser
import Foundation
import Logging
import StrataCore
import StrataFrontend
import StrataSecurity
import StrataServer

/// `strata-frontend`: the caching query frontend; flags as in Thanos's `query-frontend`.
@main
struct FrontendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-frontend",
        abstract: "Caching query frontend: aligns, splits and caches range queries in front of strata-query.",
        version: StrataVersion.version)

    @Option(name: .customLong("http-address"), help: "Listen host:port.") var httpAddress = "0.0.0.0:10902"
    @Option(name: .customLong("query-frontend.downstream-url"), help: "URL of the querier; several comma-separated queriers take requests in turn. A host may be looked up in DNS: http://dns+host:port, http://dnssrv+_http._tcp.domain, http://dnssrvnoa+….") var downstreamURL = "http://localhost:9090"
    @Option(name: .customLong("query-frontend.downstream-dns-interval"), help: "How long a DNS answer for a dns+/dnssrv+/dnssrvnoa+ downstream host is used before it is looked up again.") var downstreamDNSInterval = "30s"
    @Option(name: .customLong("dns.nameserver"), help: "Nameserver ip:port for DNS discovery (empty: /etc/resolv.conf).") var dnsNameserver = ""
    @Option(name: .customLong("query-range.align-range-with-step"), help: "Align start and end to the step (better cache hits).") var align = true
    @Option(name: .customLong("query-range.split-interval"), help: "Split range queries at this interval (0 = no split).") var splitInterval = "24h"
    @Option(name: .customLong("query-range.max-query-parallelism"), help: "Sub-queries of one query in flight.") var parallelism = 14
    @Option(name: .customLong("query-range.max-retries-per-request"), help: "Attempts per sub-query on failures and 5xx.") var retries = 5
    @Option(name: .customLong("query-range.response-cache-max-freshness"), help: "Results newer than this are not cached.") var maxFreshness = "1m"
    @Option(name: .customLong("query-range.response-cache-config-file"), help: "Cache config (type: IN-MEMORY|SQLITE + config:). Default: SQLite in --data-dir.") var cacheConfigFile: String?
    @Option(name: .customLong("query-range.response-cache-config"), help: "Cache config as YAML text (instead of the file).") var cacheConfig: String?
    @Option(name: .customLong("labels.split-interval"), help: "Split label and series requests at this interval (0 = no split).") var labelsSplit = "24h"
    @Option(name: .customLong("labels.max-query-parallelism"), help: "Sub-requests of one label or series request in flight.") var labelsParallelism = 14
    @Option(name: .customLong("labels.default-time-range"), help: "Time range of label and series requests that give none.") var labelsRange = "24h"
    @Option(name: .customLong("labels.response-cache-config-file"), help: "Cache config for label and series results (default: the range-query cache).") var labelsCacheFile: String?
    @Option(name: .customLong("data-dir"), help: "Where the default SQLite results cache lives.") var dataDir = "./data"
    @Option(name: .customLong("query-frontend.log-queries-longer-than"), help: "Log queries slower than this (0 = off).") var slowLog = "0"
    @Option(name: .customLong("query-frontend.vertical-shards"), help: "Send range queries that can be split by series as this many shards (1 = off).") var verticalShards = 1
    @Option(name: .customLong("query-frontend.downstream-tripper-config-file"), help: "How to reach the queriers: http_client_config (tls_config, basic_auth, authorization, bearer_token_file) plus Thanos's transport timeouts.") var tripperFile: String?
    @Option(name: .customLong("query-frontend.downstream-tripper-config"), help: "The same as YAML text (instead of the file).") var tripperText: String?
    @OptionGroup var web: WebConfigOptions
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.") var logLevel = "info"
    @Option(name: .customLong("log.format"), help: "logfmt or json.") var logFormat = "logfmt"

    func run() async throws {
        try StrataLogHandler.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "frontend")
        let registry = AdminServer.bootstrapMetrics()
        var config = FrontendConfig()
        config.downstreamURL = downstreamURL
        config.web = try web.make()
        if let file = tripperFile {
            config.downstreamClient = try HTTPClientConfig.load(file: file)
        } else if let text = tripperText {
            config.downstreamClient = try HTTPClientConfig.parse(yaml: text, name: "--query-frontend.downstream-tripper-config")
        }
        config.downstreamDNSInterval = .milliseconds(try parseDuration(downstreamDNSInterval))
        config.dnsNameserver = dnsNameserver
        config.alignRangeWithStep = align
        config.splitInterval = try parseDuration(splitInterval)
        config.maxQueryParallelism = parallelism
        config.maxRetries = retries
        config.maxFreshness = try parseDuration(maxFreshness)
        config.logQueriesLongerThan = .milliseconds(try parseDuration(slowLog))
        guard verticalShards >= 1 else { throw ValidationError("--query-frontend.vertical-shards must be at least 1") }
        config.verticalShards = verticalShards
        let yaml = try cacheConfigFile.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? cacheConfig
        let (cache, validity) = try CacheConfig.make(yaml: yaml, dataDir: dataDir, logger: logger)
        if let validity { config.cacheTTL = validity }
        var labels = MetadataCache.Config()
        labels.splitInterval = try parseDuration(labelsSplit)
        labels.maxQueryParallelism = labelsParallelism
        labels.defaultTimeRange = try parseDuration(labelsRange)
        labels.maxFreshness = config.maxFreshness
        let labelsCache = try labelsCacheFile.map {
            try CacheConfig.make(yaml: try String(contentsOfFile: $0, encoding: .utf8), dataDir: dataDir + "/labels", logger: logger).0
        }
        try await FrontendService(config: config, httpAddress: httpAddress, cache: cache, registry: registry, logger: logger,
                                  labels: labels, labelsCache: labelsCache).run()
    }
}
