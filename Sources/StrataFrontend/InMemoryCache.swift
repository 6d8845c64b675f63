import Synchronization

/// The IN-MEMORY backend: least recently used entries are evicted first once the cache holds
/// more than `maxBytes` of keys and values or more than `maxItems` entries (0 = no item bound).
public final class InMemoryCache: ResultsCache {
    public let name = "in-memory"
    let maxBytes: Int
    let maxItems: Int

    struct State {
        var entries: [String: (value: [UInt8], expires: ContinuousClock.Instant, tick: UInt64)] = [:]
        /// Access order with lazy deletion: (key, tick) pairs whose tick is stale are skipped.
        var order: [(String, UInt64)] = []
        var head = 0
        var tick: UInt64 = 0
        var bytes = 0
    }

    let state = Mutex(State())

    public init(maxBytes: Int, maxItems: Int = 0) {
        self.maxBytes = maxBytes
        self.maxItems = maxItems
    }

    public var bytes: Int { state.withLock { $0.bytes } }
    public var count: Int { state.withLock { $0.entries.count } }

    public func fetch(_ keys: [String]) async -> [String: [UInt8]] {
        let now = ContinuousClock.now
        return state.withLock { s in
            var out: [String: [UInt8]] = [:]
            for k in keys {
                guard let e = s.entries[k] else { continue }
                if e.expires < now {
                    Self.remove(k, &s)
                    continue
                }
                s.tick += 1
                s.entries[k]!.tick = s.tick
                s.order.append((k, s.tick))
                out[k] = e.value
            }
            Self.compact(&s)
            return out
        }
    }

    public func store(_ items: [String: [UInt8]], ttl: Duration) async {
        let expires = ContinuousClock.now.advanced(by: ttl)
        state.withLock { s in
            for (k, v) in items {
                let size = k.utf8.count + v.count
                if size > maxBytes { continue }
                Self.remove(k, &s)
                s.tick += 1
                s.entries[k] = (v, expires, s.tick)
                s.order.append((k, s.tick))
                s.bytes += size
            }
            while s.bytes > maxBytes || (maxItems > 0 && s.entries.count > maxItems) {
                guard s.head < s.order.count else { break }
                let (k, t) = s.order[s.head]
                s.head += 1
                if s.entries[k]?.tick == t { Self.remove(k, &s) }
            }
            Self.compact(&s)
        }
    }

    static func remove(_ k: String, _ s: inout State) {
        if let old = s.entries.removeValue(forKey: k) { s.bytes -= k.utf8.count + old.value.count }
    }

    /// Drops consumed and stale order entries once they dominate the array.
    static func compact(_ s: inout State) {
        guard s.order.count > 1024, s.order.count > 4 * max(1, s.entries.count) || s.head > s.order.count / 2 else { return }
        s.order = s.order[s.head...].filter { s.entries[$0.0]?.tick == $0.1 }
        s.head = 0
    }
}
