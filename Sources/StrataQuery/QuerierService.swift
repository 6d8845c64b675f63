import Logging
import Prometheus
import ServiceLifecycle
import StrataCore
import StrataSecurity
import StrataDiscovery
import StrataServer
import StrataStoreAPI

/// Everything `strata-query` does, wired from its flags: keeps the endpoint set fresh,
/// serves the Prometheus HTTP API and web UI (with /metrics, /-/healthy, /-/ready) on
/// `--http-address` and its own Store API on `--grpc-address`.
public struct QuerierService: Sendable {
    public struct Config: Sendable {
        public var httpAddress = "0.0.0.0:10902"
        public var grpcAddress = "0.0.0.0:10901"
        public var endpoints: [String] = []
        public var sdFiles: [String] = []
        /// How often endpoints are asked for Info and SD files re-read.
        public var endpointInterval: Duration = .seconds(5)
        /// `--store.sd-dns-interval`: how long a DNS answer for a `dns+`/`dnssrv+`/`dnssrvnoa+`
        /// address is used before it is looked up again (at the next endpoint refresh).
        public var dnsInterval: Duration = .seconds(30)
        /// `--dns.nameserver`: `ip:port` to send DNS lookups to; empty = /etc/resolv.conf.
        public var dnsNameserver = ""
        public var api = QueryAPIConfig()
        /// `--http.config` and `--grpc-server-tls-*`; nil: plain HTTP, plaintext gRPC.
        public var web: WebConfig?
        public var grpcTLS: ServerTLS?
        /// `--wire-address`: Strata's wire for Series and pushed-down queries (auto: the gRPC host, a free port).
        public var wire: WireListen = .auto
        /// `--endpoint.wire`: dial endpoints' wire where they advertise it.
        public var endpointWire = true
        /// `--grpc-client-tls-*`: how `--endpoint` and SD-file endpoints are dialled.
        public var clientTLS: ClientTLSConfig?
        /// `--endpoint.sd-config(-file)`: more endpoints, each with its own TLS settings.
        public var endpointConfig = EndpointConfig()
        /// Where `endpointConfig` came from (nil: flag text or none), re-read every interval.
        public var endpointConfigFile: String?
        public var endpointConfigReloadInterval: Duration = .seconds(300)
        public init() {}
    }

    let config: Config
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    public init(config: Config, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.config = config
        self.registry = registry
        self.logger = logger
    }

    public func run(onHTTPRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let config = self.config
        let logger = self.logger
        let configured = config.endpointConfig.entries
        guard !config.endpoints.isEmpty || !config.sdFiles.isEmpty || !configured.isEmpty else {
            throw ConfigError("no stores to query: pass --endpoint host:port (repeatable), --endpoint.sd-config-file or --store.sd-files")
        }
        // A malformed DNS address given on the command line is a startup error (one in an SD
        // file is a failed lookup, logged at each refresh: files change while we run).
        for address in config.endpoints + configured.map(\.address) { _ = try DNSSpec.parse(address) }
        let dns = DNSProvider(client: try DNSClient(nameserver: config.dnsNameserver), interval: config.dnsInterval, logger: logger)
        let source = EndpointConfigSource(config.endpointConfig, file: config.endpointConfigFile, flagsTLS: config.clientTLS)
        let endpoints = EndpointSet(addresses: config.endpoints, configured: configured.map(\.address), sdFiles: config.sdFiles,
                                    dns: dns, logger: logger) { address, spec in
            // An endpoint of the endpoint config (or found through one of its DNS names) uses
            // that entry's TLS settings; every other endpoint the --grpc-client-tls-* flags'.
            let tls = source.tls(for: spec) ?? config.clientTLS
            return try GRPCStoreClient(target: address, timeout: config.api.timeout, tls: tls, wire: config.endpointWire)
        }
        let api = QueryAPI(endpoints: endpoints, config: config.api)
        let admin = try AdminServer.application(address: config.httpAddress, registry: registry, logger: logger, web: config.web,
                                                ready: { await endpoints.refreshed },
                                                routes: { QueryRoutes.add(to: $0, api: api) },
                                                onRunning: onHTTPRunning)
        let (grpcHost, grpcPort) = try AdminServer.parseAddress(config.grpcAddress)
        let store = QuerierStore(endpoints: endpoints,
                                 options: .init(partialResponse: config.api.partialResponse, byteBudget: config.api.maxBytesPerQuery,
                                                maxConcurrentSelect: config.api.maxConcurrentSelect))
        // Stacked queriers: the endpoints' targets, metadata, exemplars and rules, passed on.
        let grpc = GRPCStoreServer(store: store, host: grpcHost, port: grpcPort, tls: config.grpcTLS, wire: config.wire,
                                   apis: QuerierFleet(endpoints: endpoints, config: config.api).apis)
        let main = ServiceRun.work {
            logger.info("querier starting", metadata: ["endpoints": "\(config.endpoints)", "sd_files": "\(config.sdFiles)",
                                                       "replica_labels": "\(config.api.replicaLabels)"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await grpc.serve() }
                group.addTask { await endpoints.run(interval: config.endpointInterval) }
                if config.endpointConfigFile != nil {
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: config.endpointConfigReloadInterval)
                            if let (addresses, changed) = source.reload(logger: logger) {
                                await endpoints.setConfigured(addresses, redial: changed)
                                await endpoints.refresh()
                            }
                        }
                    }
                }
                defer { grpc.shutdown() }
                try await group.next()
                group.cancelAll()
            }
            await endpoints.close()
        }
        try await ServiceRun.run([admin, main], logger: logger)
    }
}
