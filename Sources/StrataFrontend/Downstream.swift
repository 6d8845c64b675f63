import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import StrataCore
import StrataSecurity
import StrataDiscovery
import Synchronization

/// The querier behind the frontend (`--query-frontend.downstream-url`), over one pooled
/// HTTP client. Connection failures and 5xx answers are retried up to `maxRetries` times in
/// all, with a short growing pause; other answers are returned as they are. Several queriers
/// (comma-separated URLs) take requests in turn, and a retry goes to the next one: vertical
/// shards and split sub-queries then run on all of them. A URL's host may name a DNS lookup
/// (`http://dnssrv+_http._tcp.querier.example`, see `DownstreamTargets`): its answers are the
/// queriers, looked up again every `dnsInterval`.
public final class Downstream: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: [UInt8]
    }

    let targets: DownstreamTargets
    let turn = Atomic<Int>(0)
    let client: HTTPClient
    let maxRetries: Int
    let timeout: Duration
    let logger: Logger
    let auth: HTTPClientConfig
    static let maxBody = 512 << 20
    /// The querier's semantics as last read, and when.
    let semanticsSeen = Mutex<(version: String, at: ContinuousClock.Instant)?>(nil)
    static let semanticsTTL: Duration = .seconds(30)

    /// `auth`: TLS and credentials for the queriers (`--query-frontend.downstream-tripper-config`).
    /// Throws a `ConfigError` for a malformed DNS entry in `url`.
    public init(url: String, maxRetries: Int, timeout: Duration = .seconds(300), auth: HTTPClientConfig = .init(),
                dns: DNSClient = DNSClient(), dnsInterval: Duration = .seconds(30), logger: Logger) throws {
        targets = try DownstreamTargets(url, client: dns, interval: dnsInterval, logger: logger)
        var config = HTTPClient.Configuration()
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        if let tls = auth.tls { config.tlsConfiguration = try tls.tlsConfiguration() }
        if let idle = auth.idleConnTimeoutMs { config.connectionPool.idleTimeout = .milliseconds(idle) }
        self.auth = auth
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.maxRetries = max(1, maxRetries)
        self.timeout = timeout
        self.logger = logger
    }

    public func shutdown() async throws { try await client.shutdown() }

    /// The Prometheus release whose PromQL the querier follows (its buildinfo `version`:
    /// 3.14.0, or 2.42.0 under `--query.promql-compat=2.42`), re-read every 30 s. Part of every
    /// cache key, so an answer computed under one semantics is never served under the other
    /// when the querier's flag changes. Empty (and not remembered) when the querier is
    /// unreachable.
    public func semantics() async -> String {
        if let seen = semanticsSeen.withLock({ $0 }), ContinuousClock.now - seen.at < Self.semanticsTTL { return seen.version }
        let r = await send(method: "GET", "/api/v1/status/buildinfo")
        guard r.status == 200, let doc = try? JSONValue(parsing: String(decoding: r.body, as: UTF8.self)),
              let version = doc["data"]?["version"]?.stringValue else { return "" }
        semanticsSeen.withLock { $0 = (version, ContinuousClock.now) }
        return version
    }

    /// `pathAndQuery` starts with `/`; `method` is the HTTP method's name.
    public func send(method: String, _ pathAndQuery: String, body: [UInt8]? = nil, contentType: String? = nil) async -> Response {
        var lastError = ""
        let baseURLs = await targets.current()
        if baseURLs.isEmpty {
            lastError = "no downstream querier: \(targets.written) resolved to no address (see the DNS warnings)"
        }
        let first = turn.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
        for attempt in 1...maxRetries where !baseURLs.isEmpty {
            let baseURL = baseURLs[(first + attempt - 1) % baseURLs.count]
            do {
                var req = HTTPClientRequest(url: baseURL + pathAndQuery)
                req.method = HTTPMethod(rawValue: method)
                if let contentType { req.headers.add(name: "Content-Type", value: contentType) }
                if let a = try auth.authorizationHeader() { req.headers.add(name: "Authorization", value: a) }
                if let body { req.body = .bytes(ByteBuffer(bytes: body)) }
                let resp = try await client.execute(req, timeout: .seconds(Int64(timeout.components.seconds)))
                var buf = try await resp.body.collect(upTo: Self.maxBody)
                let r = Response(status: Int(resp.status.code), contentType: resp.headers.first(name: "Content-Type"),
                                 body: buf.readBytes(length: buf.readableBytes) ?? [])
                if r.status < 500 || attempt == maxRetries { return r }
                lastError = "HTTP \(r.status)"
            } catch {
                lastError = "\(error)"
                if attempt == maxRetries { break }
            }
            Counter(label: "strata_frontend_downstream_retries_total").increment()
            logger.warning("downstream request failed, retrying", metadata: ["attempt": "\(attempt)", "err": "\(lastError)"])
            try? await Task.sleep(for: .milliseconds(50 * attempt))
        }
        let msg = baseURLs.isEmpty ? lastError
            : "downstream querier \(baseURLs.joined(separator: ",")) failed after \(maxRetries) attempts: \(lastError)"
        return Response(status: 502, contentType: "application/json",
                        body: Array("{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\(goJSONString(msg))}".utf8))
    }
}
