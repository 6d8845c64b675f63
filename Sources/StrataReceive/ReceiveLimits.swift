import Foundation
import StrataCore
import Yams

/// Thanos's receive limits file (`--receive.limits-config-file`):
///
/// ```yaml
/// write:
///   global:
///     max_concurrency: 30          # requests written at once; more get 429
///   default:
///     request: {size_bytes_limit: 0, series_limit: 0, samples_limit: 0}   # 0: unlimited
///     head_series_limit: 0
///   tenants:
///     acme: {request: {series_limit: 1000}, head_series_limit: 50000}
/// ```
///
/// A tenant's entry overlays the default field by field. Request limits answer 413 (the
/// request can never pass, so Prometheus drops it); the head series limit answers 429 (the
/// tenant is over its active series until a block cut frees some).
public struct ReceiveLimits: Sendable, Equatable {
    public struct Request: Sendable, Equatable {
        public var sizeBytes: Int64?
        public var series: Int64?
        public var samples: Int64?

        public init(sizeBytes: Int64? = nil, series: Int64? = nil, samples: Int64? = nil) {
            self.sizeBytes = sizeBytes
            self.series = series
            self.samples = samples
        }

        func overlaying(_ base: Request) -> Request {
            Request(sizeBytes: sizeBytes ?? base.sizeBytes, series: series ?? base.series, samples: samples ?? base.samples)
        }
    }

    public struct Tenant: Sendable, Equatable {
        public var request = Request()
        public var headSeries: UInt64?

        public init(request: Request = Request(), headSeries: UInt64? = nil) {
            self.request = request
            self.headSeries = headSeries
        }
    }

    public var maxConcurrency: Int64 = 0
    public var defaults = Tenant()
    public var tenants: [String: Tenant] = [:]

    public init() {}

    /// The limits of `tenant`: its own fields, the default's where it has none.
    public func limits(for tenant: String) -> Tenant {
        guard let t = tenants[tenant] else { return defaults }
        return Tenant(request: t.request.overlaying(defaults.request), headSeries: t.headSeries ?? defaults.headSeries)
    }

    /// A limit of 0 or less means none, as in Thanos.
    static func exceeds(_ value: Int64, _ limit: Int64?) -> Bool {
        guard let limit, limit > 0 else { return false }
        return value > limit
    }

    /// Parses the file strictly (an unknown field is an error, as yaml.UnmarshalStrict).
    public static func parse(_ text: String) throws -> ReceiveLimits {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw ConfigError("limits config: \(error)") }
        var out = ReceiveLimits()
        guard let root else { return out }
        let top = try map(root, "limits config", keys: ["write"])
        guard let writeNode = top["write"] else { return out }
        let write = try map(writeNode, "write", keys: ["global", "default", "tenants"])
        if let g = write["global"] {
            let global = try map(g, "write.global", keys: ["max_concurrency", "meta_monitoring_url", "meta_monitoring_http_client",
                                                           "meta_monitoring_limit_query"])
            out.maxConcurrency = try int(global["max_concurrency"], "write.global.max_concurrency") ?? 0
            if let url = global["meta_monitoring_url"] as? String, !url.isEmpty {
                throw ConfigError("write.global.meta_monitoring_url: not supported; head_series_limit is checked against the receiver's own heads")
            }
        }
        if let d = write["default"] { out.defaults = try tenant(d, "write.default") }
        if let t = write["tenants"] {
            for (name, node) in try map(t, "write.tenants", keys: nil) {
                out.tenants[name] = try tenant(node ?? [String: Any](), "write.tenants.\(name)")
            }
        }
        return out
    }

    static func tenant(_ node: Any?, _ path: String) throws -> Tenant {
        guard let node, !(node is NSNull) else { return Tenant() }
        let m = try map(node, path, keys: ["request", "head_series_limit"])
        var t = Tenant()
        if let r = m["request"] {
            let rm = try map(r ?? [String: Any](), path + ".request", keys: ["size_bytes_limit", "series_limit", "samples_limit"])
            t.request = Request(sizeBytes: try int(rm["size_bytes_limit"], path + ".request.size_bytes_limit"),
                                series: try int(rm["series_limit"], path + ".request.series_limit"),
                                samples: try int(rm["samples_limit"], path + ".request.samples_limit"))
        }
        if let h = try int(m["head_series_limit"], path + ".head_series_limit") {
            guard h >= 0 else { throw ConfigError("\(path).head_series_limit: must not be negative") }
            t.headSeries = UInt64(h)
        }
        return t
    }

    static func map(_ node: Any?, _ path: String, keys: Set<String>?) throws -> [String: Any?] {
        // An empty entry (`acme:`) is YAML null: no fields.
        guard let node, !(node is NSNull) else { return [:] }
        guard let d = node as? [String: Any?] ?? (node as? [String: Any]).map({ $0.mapValues { Optional($0) } }) else {
            throw ConfigError("\(path): expected a mapping")
        }
        if let keys, let bad = d.keys.sorted().first(where: { !keys.contains($0) }) {
            throw ConfigError("\(path): field \(bad) not found")
        }
        return d
    }

    static func int(_ node: Any??, _ path: String) throws -> Int64? {
        guard let node, let v = node, !(v is NSNull) else { return nil }
        if let i = v as? Int { return Int64(i) }
        throw ConfigError("\(path): expected an integer, got \(v)")
    }
}
