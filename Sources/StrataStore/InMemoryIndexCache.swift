import CoreMetrics
import Metrics
import Synchronization

/// An LRU index cache in process memory, bounded in bytes (Thanos's IN-MEMORY cache): when
/// full, the least recently used entries are evicted; an entry larger than `maxItemSize` is
/// not cached at all.
public final class InMemoryIndexCache: IndexCache {
    public let maxSize: Int
    public let maxItemSize: Int
    /// Bookkeeping bytes charged per entry on top of its value (key, links, dictionary slot).
    static let entryOverhead = 80

    private struct Slot {
        var key: IndexCacheKey
        var value: [UInt8]
        var prev = -1
        var next = -1
    }

    /// A doubly linked list threaded through an array (head = most recently used), so
    /// touching and evicting are O(1) without a class per entry.
    private struct State {
        var index: [IndexCacheKey: Int] = [:]
        var slots: [Slot] = []
        var free: [Int] = []
        var head = -1
        var tail = -1
        var bytes = 0

        mutating func unlink(_ i: Int) {
            let p = slots[i].prev, n = slots[i].next
            if p >= 0 { slots[p].next = n } else { head = n }
            if n >= 0 { slots[n].prev = p } else { tail = p }
            slots[i].prev = -1
            slots[i].next = -1
        }

        mutating func pushFront(_ i: Int) {
            slots[i].next = head
            slots[i].prev = -1
            if head >= 0 { slots[head].prev = i }
            head = i
            if tail < 0 { tail = i }
        }

        mutating func remove(_ i: Int) -> Int {
            unlink(i)
            let size = slots[i].value.count + InMemoryIndexCache.entryOverhead
            index[slots[i].key] = nil
            slots[i].value = []
            free.append(i)
            bytes -= size
            return size
        }
    }

    private let state = Mutex(State())
    private let hits: [IndexCacheItem: Counter]
    private let requests: [IndexCacheItem: Counter]
    private let evictions: Counter
    private let sizeGauge: Gauge
    private let itemsGauge: Gauge

    public init(config: IndexCacheConfig = IndexCacheConfig(), factory: any MetricsFactory = MetricsSystem.factory) {
        maxSize = config.maxSize
        maxItemSize = config.maxItemSize
        var h: [IndexCacheItem: Counter] = [:], r: [IndexCacheItem: Counter] = [:]
        for item in IndexCacheItem.allCases {
            h[item] = Counter(label: "strata_store_index_cache_hits_total", dimensions: [("item_type", item.rawValue)], factory: factory)
            r[item] = Counter(label: "strata_store_index_cache_requests_total", dimensions: [("item_type", item.rawValue)], factory: factory)
        }
        hits = h
        requests = r
        evictions = Counter(label: "strata_store_index_cache_evictions_total", factory: factory)
        sizeGauge = Gauge(label: "strata_store_index_cache_bytes", factory: factory)
        itemsGauge = Gauge(label: "strata_store_index_cache_items", factory: factory)
    }

    public var bytes: Int { state.withLock { $0.bytes } }
    public var count: Int { state.withLock { $0.index.count } }

    public func fetch(_ keys: [IndexCacheKey]) async -> [[UInt8]?] {
        var asked = [Int](repeating: 0, count: IndexCacheItem.allCases.count), hit = asked
        let found = state.withLock { s -> [[UInt8]?] in
            keys.map { k in
                let n = IndexCacheItem.allCases.firstIndex(of: k.item)!
                asked[n] += 1
                guard let i = s.index[k] else { return nil }
                hit[n] += 1
                s.unlink(i)
                s.pushFront(i)
                return s.slots[i].value
            }
        }
        for (n, item) in IndexCacheItem.allCases.enumerated() where asked[n] > 0 {
            requests[item]?.increment(by: asked[n])
            hits[item]?.increment(by: hit[n])
        }
        return found
    }

    public func store(_ key: IndexCacheKey, _ value: [UInt8]) async {
        let size = value.count + Self.entryOverhead
        guard value.count <= maxItemSize, size <= maxSize else { return }
        let (evicted, bytes, items) = state.withLock { s -> (Int, Int, Int) in
            if let i = s.index[key] { _ = s.remove(i) }
            var evicted = 0
            while s.bytes + size > maxSize && s.tail >= 0 {
                _ = s.remove(s.tail)
                evicted += 1
            }
            let slot = Slot(key: key, value: value)
            let i: Int
            if let f = s.free.popLast() {
                s.slots[f] = slot
                i = f
            } else {
                s.slots.append(slot)
                i = s.slots.count - 1
            }
            s.index[key] = i
            s.pushFront(i)
            s.bytes += size
            return (evicted, s.bytes, s.index.count)
        }
        if evicted > 0 { evictions.increment(by: evicted) }
        sizeGauge.record(bytes)
        itemsGauge.record(items)
    }
}
