import Logging
import StrataCache
import StrataCore
import Yams

/// `--query-range.response-cache-config-file` in Thanos's format: `type:` and `config:`.
/// Without a file the frontend uses SQLITE in its data directory. REDIS and MEMCACHED take
/// Thanos's client keys (see StrataCache's client configs); their `expiration` is the TTL.
public enum CacheConfig {
    public static func make(yaml: String?, dataDir: String, logger: Logger) throws -> (any ResultsCache, Duration?) {
        guard let yaml, !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return (try SQLiteCache(path: dataDir + "/results-cache.sqlite", maxBytes: 1 << 30, logger: logger), nil)
        }
        guard let root = try Yams.load(yaml: yaml) as? [String: Any] else { throw ConfigError("cache config: expected a mapping with type: and config:") }
        for k in root.keys where k != "type" && k != "config" { logger.warning("cache config: unknown key \(k) ignored") }
        guard let type = (root["type"] as? String)?.uppercased() else { throw ConfigError("cache config: missing type: (IN-MEMORY, SQLITE, REDIS or MEMCACHED)") }
        let c = root["config"] as? [String: Any] ?? [:]
        func str(_ k: String) -> String? { c[k].map { "\($0)" } }
        func known(_ keys: [String]) {
            for k in c.keys where !keys.contains(k) { logger.warning("cache config: unknown key config.\(k) ignored") }
        }
        let validity = try str("validity").map { try parseDuration($0) }.flatMap { $0 > 0 ? Duration.milliseconds($0) : nil }
        switch type {
        case "IN-MEMORY", "INMEMORY":
            known(["max_size", "max_size_items", "validity"])
            let size = try str("max_size").map { try parseByteSize($0) } ?? (1 << 30)
            let items = Int(str("max_size_items") ?? "0") ?? 0
            return (InMemoryCache(maxBytes: size, maxItems: items), validity)
        case "SQLITE":
            known(["path", "max_size", "validity"])
            let size = try str("max_size").map { try parseByteSize($0) } ?? (1 << 30)
            return (try SQLiteCache(path: str("path") ?? dataDir + "/results-cache.sqlite", maxBytes: size, logger: logger), validity)
        case "REDIS":
            let r = try RedisClientConfig(parsing: c, context: "results cache")
            return (RemoteResultsCache(name: "redis", backend: try RedisBackend(config: r), maxItemSize: r.maxItemSize, logger: logger),
                    r.expiration)
        case "MEMCACHED":
            let m = try MemcachedClientConfig(parsing: c, context: "results cache")
            return (RemoteResultsCache(name: "memcached", backend: try MemcachedBackend(config: m), maxItemSize: m.maxItemSize,
                                       logger: logger), m.expiration)
        default:
            throw ConfigError("cache config: type \(type) is not supported: use IN-MEMORY, SQLITE, REDIS or MEMCACHED")
        }
    }
}
