import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StrataCore
import StrataSecurity
import StrataTSDB
import Yams

/// The parts of Prometheus's HTTP API a sidecar needs: readiness, configuration and flags,
/// label names and values, and remote read. One shared HTTP client; every call is bounded
/// by `timeout`.
public final class PrometheusClient: Sendable {
    public let baseURL: String
    let http: HTTPClient
    let timeout: TimeAmount
    let auth: HTTPClientConfig

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `auth`: Prometheus's `http_client_config` (basic auth, bearer token, TLS).
    public init(url: String, timeout: Duration = .seconds(30), auth: HTTPClientConfig = .init()) throws {
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        var config = HTTPClient.Configuration()
        if let tls = auth.tls { config.tlsConfiguration = try tls.tlsConfiguration() }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.auth = auth
        self.timeout = .milliseconds(Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
    }

    deinit { try? http.syncShutdown() }

    public func shutdown() async throws { try await http.shutdown() }

    func get(_ path: String, query: [(String, String)] = []) async throws -> (HTTPResponseStatus, [UInt8]) {
        var url = baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\(urlEncode($0.0))=\(urlEncode($0.1))" }.joined(separator: "&")
        }
        var req = HTTPClientRequest(url: url)
        if let a = try auth.authorizationHeader() { req.headers.add(name: "Authorization", value: a) }
        let resp = try await http.execute(req, timeout: timeout)
        let body = try await resp.body.collect(upTo: 64 << 20)
        return (resp.status, Array(body.readableBytesView))
    }

    /// True when `/-/ready` answers 200.
    public func isReady() async -> Bool {
        (try? await get("/-/ready").0 == .ok) ?? false
    }

    /// Polls `/-/ready` until it answers or `deadline` passes.
    public func waitUntilReady(deadline: Duration, poll: Duration = .milliseconds(250)) async throws {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            if await isReady() { return }
            try await Task.sleep(for: poll)
        }
        throw Failure(description: "Prometheus at \(baseURL) not ready after \(deadline)")
    }

    /// `data` of a successful API answer.
    func apiData(_ path: String, query: [(String, String)] = []) async throws -> JSONValue {
        let (status, body) = try await get(path, query: query)
        let v = try? JSONValue(parsing: body)
        guard status == .ok, let v, v["status"]?.stringValue == "success", let data = v["data"] else {
            let msg = v?["error"]?.stringValue ?? String(decoding: body.prefix(200), as: UTF8.self)
            throw Failure(description: "Prometheus \(path): \(status.code) \(msg)")
        }
        return data
    }

    /// The external labels from `/api/v1/status/config` (`global.external_labels`).
    public func externalLabels() async throws -> Labels {
        guard let yaml = try await apiData("/api/v1/status/config")["yaml"]?.stringValue else {
            throw Failure(description: "Prometheus /api/v1/status/config: no yaml in the answer")
        }
        let doc = try Yams.load(yaml: yaml) as? [String: Any]
        let global = doc?["global"] as? [String: Any]
        var out: [Label] = []
        for (k, v) in (global?["external_labels"] as? [String: Any]) ?? [:] { out.append(Label(k, "\(v)")) }
        return Labels(out)
    }

    /// All flags from `/api/v1/status/flags`, as strings.
    public func flags() async throws -> [String: String] {
        var out: [String: String] = [:]
        for m in try await apiData("/api/v1/status/flags").objectValue ?? [] { out[m.key] = m.value.stringValue ?? "" }
        return out
    }

    static func matchQuery(_ matchers: [Matcher]) -> [(String, String)] {
        matchers.isEmpty ? [] : [("match[]", "{" + matchers.map(\.description).joined(separator: ",") + "}")]
    }

    public func labelNames(start: Int64, end: Int64, matchers: [Matcher]) async throws -> [String] {
        let q = [("start", secs(start)), ("end", secs(end))] + Self.matchQuery(matchers)
        return (try await apiData("/api/v1/labels", query: q).arrayValue ?? []).compactMap(\.stringValue)
    }

    public func labelValues(_ name: String, start: Int64, end: Int64, matchers: [Matcher]) async throws -> [String] {
        let q = [("start", secs(start)), ("end", secs(end))] + Self.matchQuery(matchers)
        return (try await apiData("/api/v1/label/\(urlEncode(name))/values", query: q).arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Clamps to the range Prometheus's API parses (it rejects ±math.MaxInt64 ms in seconds).
    func secs(_ ms: Int64) -> String {
        let clamped = min(max(ms, -9_223_372_036_854_775), 9_223_372_036_854_775)
        return String(Double(clamped) / 1000)
    }

    /// POSTs a remote-read request and returns the response for streaming.
    func remoteRead(_ body: [UInt8]) async throws -> HTTPClientResponse {
        var req = HTTPClientRequest(url: baseURL + "/api/v1/read")
        req.method = .POST
        req.headers.add(name: "Content-Encoding", value: "snappy")
        req.headers.add(name: "Accept-Encoding", value: "snappy")
        req.headers.add(name: "Content-Type", value: "application/x-protobuf")
        req.headers.add(name: "X-Prometheus-Remote-Read-Version", value: "0.1.0")
        req.headers.add(name: "User-Agent", value: "strata-sidecar")
        req.body = .bytes(ByteBuffer(bytes: Snappy.compress(body)))
        if let a = try auth.authorizationHeader() { req.headers.add(name: "Authorization", value: a) }
        return try await http.execute(req, timeout: timeout)
    }
}
