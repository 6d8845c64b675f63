import ArgumentParser
import Logging
import StrataCore
import StrataPromQL
import Foundation
import StrataQuery
import StrataSecurity
import StrataServer
import StrataStoreAPI

/// `strata-query`: the querier; flags as in Thanos's `query` command.
@main
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-query",
        abstract: "Prometheus HTTP API and PromQL over Store API endpoints, with HA deduplication and downsampled data.",
        version: StrataVersion.version)

    @Option(name: .customLong("http-address"), help: "Listen host:port for the HTTP API, UI and /metrics.") var httpAddress = "0.0.0.0:10902"
    @Option(name: .customLong("grpc-address"), help: "Listen host:port for this querier's own Store API.") var grpcAddress = "0.0.0.0:10901"
    @Option(name: .customLong("endpoint"), help: "Store API endpoint host:port (sidecar, store, query), or dns+host:port, dnssrv+_name._tcp.domain, dnssrvnoa+…; repeatable.") var endpoints: [String] = []
    @Option(name: .customLong("endpoint.sd-config-file"), help: "Endpoint config file (Thanos format): endpoints with per-endpoint TLS.") var endpointConfigFile: String?
    @Option(name: .customLong("endpoint.sd-config"), help: "Endpoint config as YAML text (instead of the file).") var endpointConfigText: String?
    @Option(name: .customLong("endpoint.sd-config-reload-interval"), help: "How often --endpoint.sd-config-file is re-read.") var endpointConfigReload = "5m"
    @Option(name: .customLong("store.sd-files"), help: "File SD files (YAML or JSON target groups), re-read on change; repeatable.") var sdFiles: [String] = []
    @Option(name: .customLong("store.sd-interval"), help: "How often endpoints are probed and SD files re-read.") var sdInterval = "5s"
    @Option(name: .customLong("store.sd-dns-interval"), help: "How long a DNS answer for dns+/dnssrv+/dnssrvnoa+ endpoints is used before it is looked up again.") var dnsInterval = "30s"
    @Option(name: .customLong("dns.nameserver"), help: "Nameserver ip:port for DNS discovery (empty: /etc/resolv.conf).") var dnsNameserver = ""
    @Option(name: .customLong("query.replica-label"), help: "Label telling HA replicas apart; repeatable.") var replicaLabels: [String] = []
    @Option(name: .customLong("deduplication.func"), help: "penalty or chain.") var dedupFunc = "penalty"
    @Option(name: .customLong("query.timeout"), help: "Maximum time to process a query.") var timeout = "2m"
    @Option(name: .customLong("query.max-concurrent"), help: "Queries evaluated at once; more wait.") var maxConcurrent = 20
    @Option(name: .customLong("query.max-concurrent-select"), help: "Store calls of one query in flight at once.") var maxConcurrentSelect = 4
    @Option(name: .customLong("query.max-samples"), help: "Samples one query may hold in memory.") var maxSamples = 50_000_000
    @Option(name: .customLong("query.max-bytes-per-query"), help: "Series bytes one query may fetch from stores (0 = unlimited).") var maxBytes = 0
    @Option(name: .customLong("query.max-memory-per-query"), help: "Series data, fetched and decoded, one query may hold, e.g. 2GiB (0 = unlimited); a query needing more fails with an error.") var maxMemory = "0"
    @Option(name: .customLong("query.fleet-max-bytes"), help: "Bytes of targets, metadata, exemplars or rules one request may gather from all endpoints, e.g. 128MiB (0 = unlimited); more is an error.") var fleetMaxBytes = "128MiB"
    @Option(name: .customLong("query.lookback-delta"), help: "How far back instant selectors look.") var lookbackDelta = "5m"
    @Flag(name: .customLong("query.auto-downsampling"), help: "Use downsampled data (step/5) when max_source_resolution is not given.") var autoDownsampling = false
    @Option(name: .customLong("query.partial-response"), help: "Default of partial_response: answer with warnings when a store fails.") var partialResponse = true
    @Option(name: .customLong("query.default-step"), help: "Step of range queries given without one.") var defaultStep = "1s"
    @Option(name: .customLong("endpoint.wire"), help: "Use Strata's wire (see --wire-address) for Series calls and pushed-down queries with endpoints that advertise it; false: gRPC only.") var endpointWire = true
    @Option(name: .customLong("query.pushdown"), help: "Evaluate sum, count, min, max, group, topk and bottomk over selectors and per-series range functions next to the data, on endpoints serving Thanos's Query API that hold whole series; false always selects raw series.") var pushdown = true
    @Option(name: .customLong("query.promql-compat"), help: "PromQL semantics: 3.14 (default) or 2.42 (that release exactly).") var promqlCompat = "3.14"
    @Option(name: .customLong("enable-feature"), help: "Experimental PromQL features of 3.14 mode, Prometheus's names (promql-experimental-functions, promql-extended-range-selectors, promql-binop-fill-modifiers, promql-delayed-name-removal); repeatable or comma-separated.") var features: [String] = []
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.") var logLevel = "info"
    @Option(name: .customLong("log.format"), help: "logfmt or json.") var logFormat = "logfmt"
    @Option(name: .customLong("wire-address"), help: "Strata's wire for Series calls and pushed-down queries between Strata components (faster than gRPC, same TLS): auto (the gRPC host, a free port, advertised in Info), host:port, or off.") var wireAddress = "auto"
    @OptionGroup var grpcServerTLS: GRPCServerTLSOptions
    @OptionGroup var grpcClientTLS: GRPCClientTLSOptions
    @OptionGroup var web: WebConfigOptions

    func run() async throws {
        runTasksOnEventLoops()
        try StrataLogHandler.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "query")
        let registry = AdminServer.bootstrapMetrics()
        var config = QuerierService.Config()
        config.httpAddress = httpAddress
        config.grpcAddress = grpcAddress
        config.endpoints = endpoints
        config.sdFiles = sdFiles
        config.endpointInterval = .milliseconds(try parseDuration(sdInterval))
        config.dnsInterval = .milliseconds(try parseDuration(dnsInterval))
        config.dnsNameserver = dnsNameserver
        config.clientTLS = try grpcClientTLS.make()
        config.endpointWire = endpointWire
        config.web = try web.make()
        config.grpcTLS = try grpcServerTLS.make(logger: logger)
        config.wire = try WireListen.parse(wireAddress)
        if endpointConfigFile != nil && endpointConfigText != nil {
            throw ValidationError("--endpoint.sd-config-file and --endpoint.sd-config are mutually exclusive")
        }
        if let file = endpointConfigFile {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            config.endpointConfig = try EndpointConfig.parse(yaml: text, name: file, flagsTLS: config.clientTLS)
            config.endpointConfigFile = file
            config.endpointConfigReloadInterval = .milliseconds(max(1000, try parseDuration(endpointConfigReload)))
        } else if let text = endpointConfigText {
            config.endpointConfig = try EndpointConfig.parse(yaml: text, name: "--endpoint.sd-config", flagsTLS: config.clientTLS)
        }
        guard let algorithm = Dedup.Algorithm(rawValue: dedupFunc) else {
            throw ValidationError("--deduplication.func must be penalty or chain, got \"\(dedupFunc)\"")
        }
        var api = QueryAPIConfig()
        api.replicaLabels = replicaLabels
        api.dedupAlgorithm = algorithm
        api.timeout = .milliseconds(try parseDuration(timeout))
        api.maxConcurrent = maxConcurrent
        api.maxConcurrentSelect = maxConcurrentSelect
        api.maxSamples = maxSamples
        api.maxBytesPerQuery = maxBytes
        api.maxMemoryPerQuery = try parseByteSize(maxMemory)
        api.fleetMaxBytes = try parseByteSize(fleetMaxBytes)
        api.lookbackDelta = try parseDuration(lookbackDelta)
        api.autoDownsampling = autoDownsampling
        api.partialResponse = partialResponse
        api.pushdown = pushdown
        api.defaultStep = try parseDuration(defaultStep)
        guard let compat = PromQLCompat(flag: promqlCompat) else {
            throw ValidationError("--query.promql-compat must be 3.14 or 2.42, got \"\(promqlCompat)\"")
        }
        api.promqlCompat = compat
        do { api.promqlFeatures = try PromQLFeatures.parse(features) } catch { throw ValidationError("--enable-feature: \(error)") }
        config.api = api
        try await QuerierService(config: config, registry: registry, logger: logger).run()
    }
}
