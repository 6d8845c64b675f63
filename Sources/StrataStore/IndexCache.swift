import CoreMetrics
import Foundation
import Logging
import Metrics
import StrataCore
import StrataCache
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
    /// The cached value of each of `keys`, in their order (nil for a miss): positional, so a
    /// store selecting thousands of series hashes each key once, in the cache's own index.
    func fetch(_ keys: [IndexCacheKey]) async -> [[UInt8]?]
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
    public typealias Redis = RedisClientConfig
    public typealias Memcached = MemcachedClientConfig

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
        let fields = ConfigFields(c, context: "index cache")
        switch type {
        case "IN-MEMORY":
            if let v = try fields.bytes("max_size") { maxSize = v }
            if let v = try fields.bytes("max_item_size") {
                maxItemSize = v
                guard maxItemSize <= maxSize else { throw ConfigError("index cache max_item_size must not exceed max_size") }
            } else {
                // Only max_size given: the 125MB default item limit shrinks with it.
                maxItemSize = min(maxItemSize, maxSize)
            }
        case "REDIS":
            backend = .redis(try Redis(parsing: c, context: "index cache"))
        case "MEMCACHED":
            backend = .memcached(try Memcached(parsing: c, context: "index cache"))
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
}
