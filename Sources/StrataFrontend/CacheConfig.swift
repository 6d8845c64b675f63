import Logging
import StrataCore
import Yams

/// `--query-range.response-cache-config-file` in Thanos's format: `type:` and `config:`.
/// Without a file the frontend uses SQLITE in its data directory.
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
            let size = try str("max_size").map(parseByteSize) ?? (1 << 30)
            let items = Int(str("max_size_items") ?? "0") ?? 0
            return (InMemoryCache(maxBytes: size, maxItems: items), validity)
        case "SQLITE":
            known(["path", "max_size", "validity"])
            let size = try str("max_size").map(parseByteSize) ?? (1 << 30)
            return (try SQLiteCache(path: str("path") ?? dataDir + "/results-cache.sqlite", maxBytes: size, logger: logger), validity)
        default:
            throw ConfigError("cache config: type \(type) is not supported by this build (IN-MEMORY or SQLITE)")
        }
    }

    /// `250MB`, `1GB`, `512KiB`, plain bytes.
    public static func parseByteSize(_ s: String) throws -> Int {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
                                      ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1)]
        for (u, m) in units where t.hasSuffix(u) {
            guard let n = Double(t.dropLast(u.count).trimmingCharacters(in: .whitespaces)), n >= 0 else { break }
            return Int(n * Double(m))
        }
        guard let n = Int(t), n >= 0 else { throw ConfigError("cache config: cannot parse size \"\(s)\" (e.g. 250MB, 1GB)") }
        return n
    }
}
