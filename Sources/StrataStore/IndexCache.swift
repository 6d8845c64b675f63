import Foundation
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

/// `--index-cache.config-file`, in Thanos's format. Only `IN-MEMORY` is implemented:
/// ```yaml
/// type: IN-MEMORY
/// config:
///   max_size: 250MB       # base-2 units, as Thanos parses them
///   max_item_size: 125MB
/// ```
public struct IndexCacheConfig: Sendable, Equatable {
    public var maxSize: Int = 250 << 20
    public var maxItemSize: Int = 125 << 20

    public init() {}

    public init(yaml: String) throws {
        self.init()
        guard let root = try Yams.load(yaml: yaml) as? [String: Any] else {
            throw ConfigError("index cache config must be a mapping with type and config")
        }
        let type = ((root["type"] as? String) ?? "").uppercased()
        guard type == "IN-MEMORY" else {
            throw ConfigError("index cache type \"\(type)\" is not supported: use IN-MEMORY")
        }
        let c = root["config"] as? [String: Any] ?? [:]
        if let v = c["max_size"] { maxSize = try Self.parseBytes("\(v)", field: "max_size") }
        if let v = c["max_item_size"] { maxItemSize = try Self.parseBytes("\(v)", field: "max_item_size") }
        guard maxItemSize <= maxSize else { throw ConfigError("index cache max_item_size must not exceed max_size") }
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
