import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import StrataCore
import StrataDiscovery
import StrataQuery

/// One sample of an instant query's answer.
public struct RuleSample: Sendable, Equatable {
    public var labels: Labels
    /// The float value; 0 for a histogram sample (as Prometheus's `Sample.F`).
    public var value: Double
    public var histogram: FloatHistogram?
    public init(labels: Labels, value: Double, histogram: FloatHistogram? = nil) {
        self.labels = labels
        self.value = value
        self.histogram = histogram
    }
}

/// What an instant query answered, with the warnings that came along (a store that failed
/// under the `warn` strategy).
public struct QueryAnswer: Sendable {
    public var samples: [RuleSample]
    public var warnings: [String]
}

/// Why an instant query gave no answer.
public struct QueryFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// A 400/422 answer: the expression itself is wrong, and every querier would say so.
    public var isBadQuery = false
}

/// Instant queries against the queriers' HTTP API, as Thanos's ruler sends them: the
/// addresses come from `--query` (with `dns+`/`dnssrv+` prefixes) and `--query.sd-files`;
/// each query tries them in random order until one answers; `dedup=true` and
/// `partial_response` per the group's strategy ride along.
public final class QueryClient: Sendable {
    public struct Config: Sendable {
        public var addresses: [String] = []
        public var sdFiles: [String] = []
        public var sdInterval: Duration = .seconds(300)
        public var dnsInterval: Duration = .seconds(30)
        /// `GET` or `POST` (`--query.http-method`).
        public var method = "POST"
        public var timeout: Duration = .seconds(120)
        public init() {}
    }

    let config: Config
    let http: HTTPClient
    let dns: DNSProvider
    let logger: Logger
    private let files = FileSDCache()

    public init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
        http = HTTPClient(eventLoopGroupProvider: .singleton)
        dns = DNSProvider(interval: config.dnsInterval, logger: logger)
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// Every querier address known now.
    public func endpoints() async -> [String] {
        var specs = config.addresses
        if !config.sdFiles.isEmpty { specs += await files.targets(patterns: config.sdFiles, every: config.sdInterval, logger: logger) }
        return await dns.resolve(specs)
    }

    public func instantQuery(_ query: String, at t: Int64, partialResponse: Bool) async throws -> QueryAnswer {
        let addresses = await endpoints().shuffled()
        guard !addresses.isEmpty else { throw QueryFailure(description: "no query API server known (--query, --query.sd-files)") }
        var lastError: (any Error)?
        for a in addresses {
            do { return try await self.query(a, query, t, partialResponse) } catch let e as QueryFailure where e.isBadQuery {
                throw e
            } catch {
                lastError = error
                logger.debug("query API server failed", metadata: ["address": "\(a)", "err": "\(error)"])
            }
        }
        throw lastError ?? QueryFailure(description: "no query API server answered")
    }

    func query(_ address: String, _ q: String, _ t: Int64, _ partial: Bool) async throws -> QueryAnswer {
        var base = address.contains("://") ? address : "http://" + address
        if base.hasSuffix("/") { base.removeLast() }
        let form = [("query", q), ("time", Self.seconds(t)), ("dedup", "true"), ("partial_response", partial ? "true" : "false")]
            .map { "\(urlEncode($0.0))=\(urlEncode($0.1))" }.joined(separator: "&")
        var req: HTTPClientRequest
        if config.method == "GET" {
            req = HTTPClientRequest(url: base + "/api/v1/query?" + form)
        } else {
            req = HTTPClientRequest(url: base + "/api/v1/query")
            req.method = .POST
            req.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            req.body = .bytes(ByteBuffer(string: form))
        }
        let c = config.timeout.components
        let resp = try await http.execute(req, timeout: .nanoseconds(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000))
        let body = Array(try await resp.body.collect(upTo: 256 << 20).readableBytesView)
        return try Self.decode(body, status: resp.status.code)
    }

    /// Prometheus's API answer: a vector or a scalar (a scalar becomes one sample without
    /// labels, as Prometheus's rule evaluation treats it).
    static func decode(_ body: [UInt8], status: UInt) throws -> QueryAnswer {
        guard let v = try? JSONValue(parsing: body) else {
            throw QueryFailure(description: "query API answered \(status) with no JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard status == 200, v["status"]?.stringValue == "success", let data = v["data"] else {
            let type = v["errorType"]?.stringValue ?? ""
            var f = QueryFailure(description: "query API answered \(status): \(type.isEmpty ? "" : type + ": ")\(v["error"]?.stringValue ?? "no error text")")
            f.isBadQuery = status == 400 || status == 422
            throw f
        }
        let warnings = (v["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
        switch data["resultType"]?.stringValue {
        case "vector":
            var out: [RuleSample] = []
            for r in data["result"]?.arrayValue ?? [] {
                var labels: [(String, String)] = []
                for m in r["metric"]?.objectValue ?? [] { labels.append((m.key, m.value.stringValue ?? "")) }
                let l = Labels(labels.map { Label($0.0, $0.1) })
                if let h = r["histogram"]?.arrayValue, h.count == 2 {
                    do { out.append(RuleSample(labels: l, value: 0, histogram: try HistogramAnswer.floatHistogram(h[1]))) } catch {
                        throw QueryFailure(description: "\(error)")
                    }
                } else {
                    out.append(RuleSample(labels: l, value: try sampleValue(r["value"])))
                }
            }
            return QueryAnswer(samples: out, warnings: warnings)
        case "scalar":
            return QueryAnswer(samples: [RuleSample(labels: Labels(), value: try sampleValue(data["result"]))], warnings: warnings)
        case let t:
            throw QueryFailure(description: "rule result is not a vector or scalar: \(t ?? "none")")
        }
    }

    static func sampleValue(_ pair: JSONValue?) throws -> Double {
        guard let a = pair?.arrayValue, a.count == 2, let s = a[1].stringValue else { throw QueryFailure(description: "malformed sample in the query answer") }
        switch s {
        case "NaN": return .nan
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        default:
            guard let d = Double(s) else { throw QueryFailure(description: "malformed sample value \(s)") }
            return d
        }
    }

    /// Milliseconds as the API's decimal seconds.
    static func seconds(_ t: Int64) -> String {
        let s = t / 1000, ms = t % 1000
        if ms == 0 { return "\(s)" }
        return "\(s)." + String(format: "%03d", abs(Int(ms)))
    }
}

/// `--query.sd-files` re-read at most every `--query.sd-interval`; a file that fails to
/// parse keeps the last good list.
actor FileSDCache {
    var last: [String] = []
    var readAt: ContinuousClock.Instant?

    func targets(patterns: [String], every interval: Duration, logger: Logger) -> [String] {
        let now = ContinuousClock.now
        if let r = readAt, now - r < interval { return last }
        readAt = now
        do { last = try FileSD.targets(patterns: patterns) } catch {
            logger.warning("cannot read --query.sd-files; keeping the last list", metadata: ["err": "\(error)"])
        }
        return last
    }
}
