import CoreMetrics
import Foundation
import Logging
import Metrics
import StrataCore
import Yams

/// What the index cache holds: raw postings lists and raw series entries of a block, keyed
/// by their offset in the block's index (within one block an offset names one label pair or
/// one series). Repeated dashboard queries then skip those ranged reads entirely.
public enum IndexCacheItem: String, Sendable, CaseIterable {
    case postings
    case series
}

public struct IndexCacheKey: Hashable, Sendable {
    public var block: ULID
    public var item: IndexCacheItem
    public var offset: Int64

    public init(block: ULID, item: IndexCacheItem, offset: Int64) {
        self.block = block
        self.item = item
        self.offset = offset
    }
}

/// A cache of index bytes. Lookups never fail: an unavailable cache is a miss, so a cache
/// can only make queries cheaper, never make them fail.
public protocol IndexCache: Sendable {
    /// The cached values among `keys` (misses are absent).
    func fetch(_ keys: [IndexCacheKey]) async -> [IndexCacheKey: [UInt8]]
    func store(_ key: IndexCacheKey, _ value: [UInt8]) async
}

/// `--index-cache.config-file`, in Thanos's format:
/// ```yaml
/// type: IN-MEMORY          # or REDIS, MEMCACHED
/// config:
///   max_size: 250MB        # IN-MEMORY; base-2 units, as Thanos parses them
///   max_item_size: 125MB
/// ```
/// REDIS: `addr`, `username`, `password`, `db`, `dial_timeout`, `read_timeout`, `pool_size`,
/// `expiration`, `get_multi_batch_size`, `max_async_concurrency`, `max_async_buffer_size`,
/// `max_item_size`.
/// MEMCACHED: `addresses`, `timeout`, `max_idle_connections`, `max_item_size`,
/// `max_get_multi_batch_size`, `max_async_concurrency`, `max_async_buffer_size`, `expiration`.
public struct IndexCacheConfig: Sendable, Equatable {
    public struct Redis: Sendable, Equatable {
        public var address = ""
        public var username = ""
        public var password = ""
        public var db = 0
        public var dialTimeout: Duration = .seconds(5)
        public var readTimeout: Duration = .seconds(3)
        public var poolSize = 100
        public var expiration: Duration = .seconds(24 * 3600)
        public var getMultiBatchSize = 100
        public var maxAsyncConcurrency = 20
        public var maxAsyncBufferSize = 10_000
        public var maxItemSize = 1 << 20
    }

    public struct Memcached: Sendable, Equatable {
        public var addresses: [String] = []
        public var timeout: Duration = .milliseconds(500)
        public var maxIdleConnections = 100
        public var maxItemSize = 1 << 20
        public var maxGetMultiBatchSize = 100
        public var maxAsyncConcurrency = 20
        public var maxAsyncBufferSize = 10_000
        public var expiration: Duration = .seconds(24 * 3600)
    }

    public enum Backend: Sendable, Equatable {
        case inMemory
        case redis(Redis)
        case memcached(Memcached)
    }

    public var backend: Backend = .inMemory
    public var maxSize: Int = 250 << 20
    public var maxItemSize: Int = 125 << 20

    public init() {}

    public init(yaml: String) throws {
        self.init()
        guard let root = try Yams.load(yaml: yaml) as? [String: Any] else {
            throw ConfigError("index cache config must be a mapping with type and config")
        }
        let type = ((root["type"] as? String) ?? "").uppercased()
        let c = root["config"] as? [String: Any] ?? [:]
        func str(_ k: String) -> String? { c[k].map { "\($0)" } }
        func int(_ k: String) throws -> Int? {
            guard let s = str(k) else { return nil }
            guard let n = Int(s), n >= 0 else { throw ConfigError("index cache \(k): \"\(s)\" is not a number") }
            return n
        }
        func dur(_ k: String) throws -> Duration? {
            guard let s = str(k) else { return nil }
            do { return .milliseconds(try parseDuration(s)) } catch { throw ConfigError("index cache \(k): \(error)") }
        }
        func bytes(_ k: String) throws -> Int? { try str(k).map { try Self.parseBytes($0, field: k) } }
        switch type {
        case "IN-MEMORY":
            if let v = try bytes("max_size") { maxSize = v }
            if let v = try bytes("max_item_size") {
                maxItemSize = v
                guard maxItemSize <= maxSize else { throw ConfigError("index cache max_item_size must not exceed max_size") }
            } else {
                // Only max_size given: the 125MB default item limit shrinks with it.
                maxItemSize = min(maxItemSize, maxSize)
            }
        case "REDIS":
            var r = Redis()
            guard let addr = str("addr"), !addr.isEmpty else { throw ConfigError("index cache REDIS: config.addr is required") }
            r.address = addr
            r.username = str("username") ?? ""
            r.password = str("password") ?? ""
            if let v = try int("db") { r.db = v }
            if let v = try dur("dial_timeout") { r.dialTimeout = v }
            if let v = try dur("read_timeout") { r.readTimeout = v }
            if let v = try int("pool_size") { r.poolSize = v }
            if let v = try dur("expiration") { r.expiration = v }
            if let v = try int("get_multi_batch_size") { r.getMultiBatchSize = v }
            if let v = try int("max_async_concurrency") { r.maxAsyncConcurrency = v }
            if let v = try int("max_async_buffer_size") { r.maxAsyncBufferSize = v }
            if let v = try bytes("max_item_size") { r.maxItemSize = v }
            backend = .redis(r)
        case "MEMCACHED":
            var m = Memcached()
            m.addresses = (c["addresses"] as? [Any])?.map { "\($0)" } ?? []
            guard !m.addresses.isEmpty else { throw ConfigError("index cache MEMCACHED: config.addresses is required") }
            if let v = try dur("timeout") { m.timeout = v }
            if let v = try int("max_idle_connections") { m.maxIdleConnections = v }
            if let v = try bytes("max_item_size") { m.maxItemSize = v }
            if let v = try int("max_get_multi_batch_size") { m.maxGetMultiBatchSize = v }
            if let v = try int("max_async_concurrency") { m.maxAsyncConcurrency = v }
            if let v = try int("max_async_buffer_size") { m.maxAsyncBufferSize = v }
            if let v = try dur("expiration") { m.expiration = v }
            backend = .memcached(m)
        default:
            throw ConfigError("index cache type \"\(type)\" is not supported: use IN-MEMORY, REDIS or MEMCACHED")
        }
    }

    /// The cache this config describes.
    public func makeCache(logger: Logger = Logger(label: "index-cache"), factory: any MetricsFactory = MetricsSystem.factory) throws -> any IndexCache {
        switch backend {
        case .inMemory:
            return InMemoryIndexCache(config: self, factory: factory)
        case .redis(let r):
            return RemoteIndexCache(backend: try RedisBackend(config: r), name: "redis", maxItemSize: r.maxItemSize,
                                    maxAsyncConcurrency: r.maxAsyncConcurrency, maxAsyncBufferSize: r.maxAsyncBufferSize, logger: logger, factory: factory)
        case .memcached(let m):
            return RemoteIndexCache(backend: try MemcachedBackend(config: m), name: "memcached", maxItemSize: m.maxItemSize,
                                    maxAsyncConcurrency: m.maxAsyncConcurrency, maxAsyncBufferSize: m.maxAsyncBufferSize, logger: logger, factory: factory)
        }
    }

    /// `250MB`, `1GiB`, `512KB`, `1024` (bytes); KB/MB/GB are powers of 1024 like Thanos's
    /// `ParseBase2Bytes`.
    static func parseBytes(_ s: String, field: String) throws -> Int {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("TIB", 1 << 40),
                                      ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("TB", 1 << 40), ("B", 1)]
        for (u, mult) in units where t.hasSuffix(u) {
            if let n = Int(t.dropLast(u.count).trimmingCharacters(in: .whitespaces)), n >= 0 { return n * mult }
            break
        }
        if let n = Int(t), n >= 0 { return n }
        throw ConfigError("index cache \(field): \"\(s)\" is not a size like 250MB")
    }
}
