import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import StrataCore

/// The querier behind the frontend (`--query-frontend.downstream-url`), over one pooled
/// HTTP client. Connection failures and 5xx answers are retried up to `maxRetries` times in
/// all, with a short growing pause; other answers are returned as they are.
public final class Downstream: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: [UInt8]
    }

    let baseURL: String
    let client: HTTPClient
    let maxRetries: Int
    let timeout: Duration
    let logger: Logger
    static let maxBody = 512 << 20

    public init(url: String, maxRetries: Int, timeout: Duration = .seconds(300), logger: Logger) {
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        var config = HTTPClient.Configuration()
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.maxRetries = max(1, maxRetries)
        self.timeout = timeout
        self.logger = logger
    }

    public func shutdown() async throws { try await client.shutdown() }

    /// `pathAndQuery` starts with `/`; `method` is the HTTP method's name.
    public func send(method: String, _ pathAndQuery: String, body: [UInt8]? = nil, contentType: String? = nil) async -> Response {
        var lastError = ""
        for attempt in 1...maxRetries {
            do {
                var req = HTTPClientRequest(url: baseURL + pathAndQuery)
                req.method = HTTPMethod(rawValue: method)
                if let contentType { req.headers.add(name: "Content-Type", value: contentType) }
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
        let msg = "downstream querier \(baseURL) failed after \(maxRetries) attempts: \(lastError)"
        return Response(status: 502, contentType: "application/json",
                        body: Array("{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\(goJSONString(msg))}".utf8))
    }
}
