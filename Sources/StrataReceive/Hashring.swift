import Foundation
import StrataCore

/// A receiver in a hashring: its gRPC address (what `--receive.local-endpoint` names).
public struct HashringEndpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var address: String
    public var az: String

    public init(_ address: String, az: String = "") {
        self.address = address
        self.az = az
    }

    public static func < (a: Self, b: Self) -> Bool { a.address < b.address }
    public var description: String { address }
}

/// One entry of Thanos's hashrings file (`--receive.hashrings-file`):
/// `[{"hashring": "default", "tenants": [], "tenant_matcher_type": "exact", "endpoints": ["a:10901", {"address": "b:10901"}]}]`.
public struct HashringConfig: Sendable, Equatable {
    public var name: String
    /// Empty: the hashring takes every tenant (the default hashring).
    public var tenants: [String]
    /// "exact" (default) or "glob" (shell patterns, as Go's `filepath.Match`).
    public var tenantMatcherType: String
    public var endpoints: [HashringEndpoint]
    public var algorithm: String

    public init(name: String = "", tenants: [String] = [], tenantMatcherType: String = "exact",
                endpoints: [HashringEndpoint], algorithm: String = "") {
        self.name = name
        self.tenants = tenants
        self.tenantMatcherType = tenantMatcherType
        self.endpoints = endpoints
        self.algorithm = algorithm
    }

    /// Parses the file's JSON; the errors name what is wrong, as Thanos's config watcher
    /// refuses a file it cannot use (and keeps the previous hashrings).
    public static func parse(_ data: Data) throws -> [HashringConfig] {
        guard !data.isEmpty, !(String(decoding: data, as: UTF8.self).allSatisfy(\.isWhitespace)) else {
            throw ConfigError("hashrings file is empty")
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw ConfigError("hashrings file is not parsable: \(error.localizedDescription)")
        }
        guard let list = json as? [[String: Any]] else {
            throw ConfigError("hashrings file is not parsable: expected a JSON array of hashring objects")
        }
        var out: [HashringConfig] = []
        for (i, h) in list.enumerated() {
            let known: Set<String> = ["hashring", "tenants", "tenant_matcher_type", "endpoints", "algorithm", "external_labels",
                                      "shuffle_sharding_config"]
            if let unknown = h.keys.first(where: { !known.contains($0) }) {
                throw ConfigError("hashring \(i): unknown field \"\(unknown)\"")
            }
            var c = HashringConfig(endpoints: [])
            c.name = h["hashring"] as? String ?? ""
            c.tenants = h["tenants"] as? [String] ?? []
            c.tenantMatcherType = (h["tenant_matcher_type"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "exact"
            guard ["exact", "glob"].contains(c.tenantMatcherType) else {
                throw ConfigError("hashring \(i): tenant_matcher_type must be exact or glob, got \"\(c.tenantMatcherType)\"")
            }
            c.algorithm = h["algorithm"] as? String ?? ""
            guard let eps = h["endpoints"] as? [Any], !eps.isEmpty else {
                throw ConfigError("hashring \(i) (\(c.name)): no endpoints")
            }
            for e in eps {
                if let s = e as? String, !s.isEmpty {
                    c.endpoints.append(HashringEndpoint(s))
                } else if let o = e as? [String: Any], let a = o["address"] as? String, !a.isEmpty {
                    c.endpoints.append(HashringEndpoint(a, az: o["az"] as? String ?? ""))
                } else {
                    throw ConfigError("hashring \(i) (\(c.name)): endpoint address must be set")
                }
            }
            if let sh = h["shuffle_sharding_config"] as? [String: Any], (sh["shard_size"] as? Int ?? 0) > 0 {
                throw ConfigError("hashring \(i) (\(c.name)): shuffle_sharding_config is not supported")
            }
            if let el = h["external_labels"] as? [String: Any], !el.isEmpty {
                throw ConfigError("hashring \(i) (\(c.name)): external_labels are not supported; give --label")
            }
            out.append(c)
        }
        return out
    }
}

/// Thanos's `hashmod` hashrings: a series of a tenant goes to
/// `endpoints[(xxhash(tenant, labels) + n) mod len]` for its n-th replica, endpoints sorted
/// by address, so every receiver given the same file routes every series the same way (and
/// the same way as Thanos receivers do: `labelpb.HashWithPrefix`).
public struct Hashrings: Sendable {
    struct Ring: Sendable {
        let config: HashringConfig
        let endpoints: [HashringEndpoint]
    }

    let rings: [Ring]

    /// `algorithm`: `--receive.hashrings-algorithm`, overridden per hashring.
    public init(_ configs: [HashringConfig], algorithm: String = "hashmod") throws {
        rings = try configs.map { c in
            let algo = c.algorithm.isEmpty ? algorithm : c.algorithm
            guard algo == "hashmod" else {
                throw ConfigError("hashring \(c.name): algorithm \"\(algo)\" is not supported (hashmod is)")
            }
            if c.endpoints.contains(where: { !$0.az.isEmpty }) {
                throw ConfigError("hashring \(c.name): hashmod does not support AZ-aware endpoints; remove \"az\"")
            }
            return Ring(config: c, endpoints: c.endpoints.sorted())
        }
    }

    /// One ring of just this receiver: what a receiver without a hashrings file routes by.
    public static func single(_ endpoint: HashringEndpoint) -> Hashrings {
        // A one-entry hashmod ring cannot fail to build.
        try! Hashrings([HashringConfig(name: "default", endpoints: [endpoint])])
    }

    /// Every endpoint of every ring, sorted and unique.
    public var endpoints: [HashringEndpoint] { Array(Set(rings.flatMap(\.endpoints))).sorted() }

    /// The hashring serving `tenant`: the first whose tenant list matches, a ring without a
    /// tenant list matching everyone.
    func ring(for tenant: String) -> Ring? {
        rings.first { r in
            r.config.tenants.isEmpty || r.config.tenants.contains { pattern in
                r.config.tenantMatcherType == "glob" ? globMatch(pattern, tenant) : pattern == tenant
            }
        }
    }

    /// The one endpoint of the tenant's hashring when it has only one: every series of the
    /// tenant goes there, no hashing needed.
    func soleEndpoint(for tenant: String) -> HashringEndpoint? {
        guard let r = ring(for: tenant), r.endpoints.count == 1 else { return nil }
        return r.endpoints[0]
    }

    /// The `replicas` endpoints owning the series, replica 0 first.
    public func owners(tenant: String, labels: Labels, replicas: Int) throws -> [HashringEndpoint] {
        guard let r = ring(for: tenant) else { throw ConfigError("no matching hashring to handle tenant \(tenant)") }
        guard replicas <= r.endpoints.count else {
            throw ConfigError("insufficient nodes in hashring \(r.config.name): have \(r.endpoints.count), want \(replicas)")
        }
        let h = Self.hash(tenant: tenant, labels: labels)
        let n = UInt64(r.endpoints.count)
        return (0..<replicas).map { r.endpoints[Int((h &+ UInt64($0)) % n)] }
    }

    /// Thanos's `labelpb.HashWithPrefix`: xxhash64 of tenant, 0xff, then name, 0xff, value,
    /// 0xff for each label.
    static func hash(tenant: String, labels: Labels) -> UInt64 {
        var b: [UInt8] = []
        b.reserveCapacity(256)
        b.append(contentsOf: tenant.utf8)
        b.append(0xff)
        for p in labels.pairs {
            b.append(contentsOf: p.name.utf8)
            b.append(0xff)
            b.append(contentsOf: p.value.utf8)
            b.append(0xff)
        }
        return XXHash64.hash(b)
    }
}

/// Go's `filepath.Match` for tenant names: `*` (any run without `/`), `?`, `[...]` classes.
func globMatch(_ pattern: String, _ name: String) -> Bool {
    fnmatch(pattern, name, FNM_PATHNAME) == 0
}
