import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import StrataCore
import StrataDiscovery
import StrataQuery
import StrataServer

/// Everything `strata-frontend` does, wired from its flags: `/api/v1/query_range` and the
/// label and series endpoints through the results cache, everything else proxied unchanged
/// to the querier, plus /metrics, /-/healthy and /-/ready on `--http-address`.
public struct FrontendService: Sendable {
    public let config: FrontendConfig
    public let httpAddress: String
    public let queryRange: QueryRangeCache
    public let metadata: MetadataCache
    let downstream: Downstream
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    public init(config: FrontendConfig, httpAddress: String, cache: (any ResultsCache)?, registry: PrometheusCollectorRegistry,
                logger: Logger, labels: MetadataCache.Config = .init(), labelsCache: (any ResultsCache)? = nil) throws {
        self.config = config
        self.httpAddress = httpAddress
        self.registry = registry
        self.logger = logger
        downstream = try Downstream(url: config.downstreamURL, maxRetries: config.maxRetries, auth: config.downstreamClient,
                                    dns: try DNSClient(nameserver: config.dnsNameserver), dnsInterval: config.downstreamDNSInterval,
                                    logger: logger)
        queryRange = QueryRangeCache(config: config, downstream: downstream, cache: cache, logger: logger)
        metadata = MetadataCache(config: labels, downstream: downstream, cache: labelsCache ?? cache)
        FrontendMetrics.registerKnownSeries(backends: [cache, labelsCache].compactMap { $0?.name })
        logger.info("results cache", metadata: ["backend": "\(cache?.name ?? "none")"])
    }

    static let maxBody = 8 << 20

    public func run(onHTTPRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        // The downstream client is shut down however serving ends: a server that failed to
        // start (a port taken, a bad certificate) must not leave a live HTTP client behind.
        do { try await serve(onHTTPRunning: onHTTPRunning) } catch {
            try? await downstream.shutdown()
            throw error
        }
        try? await downstream.shutdown()
    }

    func serve(onHTTPRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let queryRange = self.queryRange, metadata = self.metadata, downstream = self.downstream
        let admin = try AdminServer.application(address: httpAddress, registry: registry, logger: logger, web: config.web, ready: { true },
                                                routes: { router in
            @Sendable func respond(_ r: Downstream.Response) -> Response {
                var headers = HTTPFields()
                if let ct = r.contentType { headers[.contentType] = ct }
                return Response(status: HTTPResponse.Status(code: r.status), headers: headers,
                                body: .init(byteBuffer: ByteBuffer(bytes: r.body)))
            }
            @Sendable func form(_ request: Request) async throws -> FormValues {
                var request = request
                var f = FormValues(request.uri.query ?? "")
                if request.method == .post, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") ?? false {
                    f.add(encoded: String(buffer: try await request.collectBody(upTo: Self.maxBody)))
                }
                return f
            }
            // One catch-all route (a trie router does not fall back from /api/v1/x to /**):
            // range queries through the cache, everything else to the querier unchanged.
            @Sendable func proxy(_ request: Request) async throws -> Response {
                let path = request.uri.path
                if path == "/api/v1/query_range" { return respond(await queryRange.handle(try await form(request))) }
                if MetadataCache.handles(path) { return respond(await metadata.handle(path: path, try await form(request))) }
                var request = request
                let body = try await request.collectBody(upTo: Self.maxBody)
                let target = path + (request.uri.query.map { "?" + $0 } ?? "")
                return respond(await downstream.send(method: request.method.rawValue, target, body: body.readableBytes > 0 ? Array(buffer: body) : nil,
                                                     contentType: request.headers[.contentType]))
            }
            router.get("/**") { req, _ in try await proxy(req) }
            router.post("/**") { req, _ in try await proxy(req) }
            router.get("/") { req, _ in try await proxy(req) }
        }, onRunning: onHTTPRunning)
        try await ServiceRun.run([admin], logger: logger)
    }
}
