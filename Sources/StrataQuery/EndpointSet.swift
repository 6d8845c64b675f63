import Logging
import Metrics
import StrataCore
import StrataDiscovery
import StrataStoreAPI

/// The Store API endpoints the querier fans out to: the `--endpoint` addresses plus those
/// found in `--store.sd-files`, each probed with Info every refresh. An endpoint that fails
/// Info is marked unhealthy and not queried until it answers again; endpoints that vanish
/// from the SD files are dropped and their connections closed.
public actor EndpointSet {
    /// (address dialled, configured address it was found through) → client.
    public typealias ClientFactory = @Sendable (_ address: String, _ spec: String) throws -> any StoreClient

    let staticAddresses: [String]
    let sdFiles: [String]
    let factory: ClientFactory
    let infoTimeout: Duration
    let logger: Logger
    /// Expands `dns+`/`dnssrv+`/`dnssrvnoa+` addresses (static and SD-file ones) into endpoints.
    let dns: DNSProvider
    private var endpoints: [String: EndpointStatus] = [:]
    private var sdAddresses: [String] = []
    /// Addresses of the endpoint config (`--endpoint.sd-config-file`), replaced on reload.
    private var configuredAddresses: [String] = []
    /// The configured address (or DNS name) each endpoint was found through.
    private var origins: [String: String] = [:]
    public private(set) var refreshed = false

    /// `addresses`: `--endpoint` flags; `configured`: the endpoint config's, which
    /// `setConfigured` replaces when the file is reloaded.
    public init(addresses: [String], configured: [String] = [], sdFiles: [String] = [], infoTimeout: Duration = .seconds(5),
                dns: DNSProvider = DNSProvider(), logger: Logger, factory: @escaping ClientFactory) {
        staticAddresses = addresses
        configuredAddresses = configured
        self.sdFiles = sdFiles
        self.factory = factory
        self.infoTimeout = infoTimeout
        self.logger = logger
        self.dns = dns
    }

    /// Endpoints that answered their last Info.
    public func healthy() -> [EndpointStatus] {
        endpoints.values.filter(\.healthy).sorted { $0.name < $1.name }
    }

    /// Endpoints that answered Info at least once, healthy or not now: their time range and
    /// labels are known, so a query that needs an unhealthy one can say so.
    public func known() -> [EndpointStatus] {
        endpoints.values.filter { $0.lastHealthy > 0 }.sorted { $0.name < $1.name }
    }

    public func all() -> [EndpointStatus] { endpoints.values.sorted { $0.name < $1.name } }

    /// A reloaded endpoint config: its addresses from now on; endpoints found through an
    /// entry in `redial` (its TLS settings changed) are closed and dialled again with the new
    /// settings at the next refresh.
    public func setConfigured(_ addresses: [String], redial: Set<String>) {
        configuredAddresses = addresses
        for (name, origin) in origins where redial.contains(origin) {
            logger.info("endpoint config changed, redialling", metadata: ["address": "\(name)"])
            (endpoints.removeValue(forKey: name)?.client as? GRPCStoreClient)?.close()
        }
    }

    /// Known endpoints whose last good Info advertised `api` (Targets, Metadata, Exemplars,
    /// Rules): only these are asked for it. One that has failed Info since is included, so
    /// that a request can report it unavailable instead of silently leaving it out.
    public func serving(_ api: ServedAPIs) -> [EndpointStatus] {
        known().filter { $0.apis.contains(api) }
    }

    /// Re-reads the SD files, opens clients for new addresses, closes removed ones, and asks
    /// every endpoint for Info concurrently.
    public func refresh() async {
        if !sdFiles.isEmpty {
            do { sdAddresses = try FileSD.targets(patterns: sdFiles) } catch {
                // Keep the last good list: a half-written SD file must not empty the querier.
                logger.error("reading store SD files", metadata: ["err": "\(error)"])
                Counter(label: "strata_query_sd_file_errors_total").increment()
            }
        }
        // Each endpoint remembers the configured address it came from (`dnssrv+…` or the
        // address itself): the client factory picks that entry's TLS settings.
        let specs = staticAddresses + configuredAddresses + sdAddresses
        var wanted: [String] = []
        var origin: [String: String] = [:]
        for (spec, found) in zip(specs, await dns.resolveEach(specs)) {
            for a in found where origin[a] == nil {
                wanted.append(a)
                origin[a] = spec
            }
        }
        origins = origin
        for gone in endpoints.keys where !wanted.contains(gone) {
            logger.info("endpoint removed", metadata: ["address": "\(gone)"])
            (endpoints.removeValue(forKey: gone)?.client as? GRPCStoreClient)?.close()
        }
        for a in wanted where endpoints[a] == nil {
            do {
                endpoints[a] = EndpointStatus(name: a, client: try factory(a, origin[a] ?? a))
            } catch {
                logger.error("endpoint address invalid", metadata: ["address": "\(a)", "err": "\(error)"])
            }
        }
        let probes = endpoints.values.map { ($0.name, $0.client) }
        let timeout = infoTimeout
        let results = await withTaskGroup(of: (String, Result<Thanos_Info_InfoResponse, any Error>).self) { group in
            for (name, client) in probes {
                group.addTask {
                    do {
                        // Awaited before the tuple is built: Swift 6.3's optimizer loses a tuple
                        // whose first element is set before an `await` in the same expression.
                        let info = try await withTimeout(timeout) { try await client.info() }
                        return (name, .success(info))
                    } catch {
                        return (name, .failure(error))
                    }
                }
            }
            var out: [(String, Result<Thanos_Info_InfoResponse, any Error>)] = []
            for await r in group { out.append(r) }
            return out
        }
        let now = currentTimeMillis()
        for (name, result) in results {
            guard var e = endpoints[name] else { continue }
            switch result {
            case .success(let info):
                if !e.healthy { logger.info("endpoint healthy", metadata: ["address": "\(name)", "component": "\(info.componentType)"]) }
                e.update(from: info, at: now)
            case .failure(let error):
                if e.healthy || e.lastCheck == 0 {
                    logger.warning("endpoint unhealthy", metadata: ["address": "\(name)", "err": "\(error)"])
                }
                e.healthy = false
                e.lastError = "\(error)"
                e.lastCheck = now
            }
            endpoints[name] = e
        }
        Gauge(label: "strata_query_endpoints_healthy").record(endpoints.values.filter(\.healthy).count)
        Gauge(label: "strata_query_endpoints").record(endpoints.count)
        refreshed = true
    }

    /// Refreshes every `interval` until cancelled. While an endpoint has never answered (the
    /// querier and its stores started together), probes come sooner: 50 ms, doubling up to
    /// `interval`, so the first answer does not wait a whole interval for a store that was
    /// ready a moment after the first probe.
    public func run(interval: Duration) async {
        var pause = Duration.milliseconds(50)
        while !Task.isCancelled {
            await refresh()
            let waiting = endpoints.values.contains { $0.lastHealthy == 0 }
            try? await Task.sleep(for: waiting ? min(pause, interval) : interval)
            pause = waiting ? pause * 2 : .milliseconds(50)
        }
    }

    public func close() {
        for e in endpoints.values { (e.client as? GRPCStoreClient)?.close() }
        endpoints = [:]
    }
}
