import CoreMetrics
import Logging
import Metrics
import StrataCache
import Synchronization

/// The index cache over a remote server (Redis or memcached), with Thanos's behaviour: a
/// lookup that fails (server down, timeout, protocol error) is a miss, logged and counted,
/// never an error; writes are queued (up to `maxAsyncBufferSize`, then dropped) and sent in
/// the background by at most `maxAsyncConcurrency` workers, so a slow cache never slows a
/// query and never holds unbounded memory.
final class RemoteIndexCache: IndexCache {
    let backend: any CacheBackend
    let name: String
    let maxItemSize: Int
    let maxAsyncConcurrency: Int
    let maxAsyncBufferSize: Int
    let logger: Logger
    private struct Writes {
        var queue: [(String, [UInt8])] = []
        var head = 0
        var workers = 0
        var count: Int { queue.count - head }
    }
    private let writes = Mutex(Writes())
    private let hits: [IndexCacheItem: Counter]
    private let requests: [IndexCacheItem: Counter]
    private let failures: Counter
    private let droppedWrites: Counter

    init(backend: any CacheBackend, name: String, maxItemSize: Int, maxAsyncConcurrency: Int, maxAsyncBufferSize: Int = 10_000,
         logger: Logger = Logger(label: "index-cache"), factory: any MetricsFactory = MetricsSystem.factory) {
        self.backend = backend
        self.name = name
        self.maxItemSize = maxItemSize
        self.maxAsyncConcurrency = max(1, maxAsyncConcurrency)
        self.maxAsyncBufferSize = max(1, maxAsyncBufferSize)
        self.logger = logger
        var h: [IndexCacheItem: Counter] = [:], r: [IndexCacheItem: Counter] = [:]
        for item in IndexCacheItem.allCases {
            h[item] = Counter(label: "strata_store_index_cache_hits_total", dimensions: [("item_type", item.rawValue)], factory: factory)
            r[item] = Counter(label: "strata_store_index_cache_requests_total", dimensions: [("item_type", item.rawValue)], factory: factory)
        }
        hits = h
        requests = r
        failures = Counter(label: "strata_store_index_cache_failures_total", dimensions: [("backend", name)], factory: factory)
        droppedWrites = Counter(label: "strata_store_index_cache_dropped_writes_total", dimensions: [("backend", name)], factory: factory)
    }

    /// `P:<block>:<offset>` / `S:<block>:<offset>`: short, printable, no spaces (memcached).
    static func key(_ k: IndexCacheKey) -> String {
        (k.item == .postings ? "P:" : "S:") + k.block.description + ":" + String(k.offset)
    }

    func fetch(_ keys: [IndexCacheKey]) async -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        let names = keys.map(Self.key)
        var found: [String: [UInt8]] = [:]
        do {
            found = try await backend.getMulti(Array(Set(names)))
        } catch {
            failures.increment()
            logger.warning("index cache lookup failed; treating as misses", metadata: ["cache": "\(name)", "err": "\(error)"])
        }
        let out = names.map { found[$0] }
        for item in IndexCacheItem.allCases {
            let asked = keys.indices.filter { keys[$0].item == item }
            guard !asked.isEmpty else { continue }
            requests[item]?.increment(by: asked.count)
            hits[item]?.increment(by: asked.filter { out[$0] != nil }.count)
        }
        return out
    }

    func store(_ key: IndexCacheKey, _ value: [UInt8]) async {
        guard value.count <= maxItemSize else { return }
        let item = (Self.key(key), value)
        let (queued, startWorker) = writes.withLock { w -> (Bool, Bool) in
            guard w.count < maxAsyncBufferSize else { return (false, false) }
            w.queue.append(item)
            guard w.workers < maxAsyncConcurrency else { return (true, false) }
            w.workers += 1
            return (true, true)
        }
        if !queued { droppedWrites.increment() }
        if startWorker { Task.detached { [self] in await drain() } }
    }

    /// A write worker: sends queued items until the queue is empty, then ends.
    private func drain() async {
        while true {
            let next = writes.withLock { w -> (String, [UInt8])? in
                guard w.head < w.queue.count else {
                    w.queue.removeAll()
                    w.head = 0
                    w.workers -= 1
                    return nil
                }
                let item = w.queue[w.head]
                w.queue[w.head].1 = []
                w.head += 1
                if w.head > 1024 && w.head * 2 > w.queue.count {
                    w.queue.removeFirst(w.head)
                    w.head = 0
                }
                return item
            }
            guard let (name, value) = next else { return }
            do { try await backend.set(name, value) } catch {
                failures.increment()
                logger.debug("index cache write failed", metadata: ["cache": "\(self.name)", "err": "\(error)"])
            }
        }
    }

    /// Writes queued or in flight (tests wait for them).
    var pending: Int { writes.withLock { $0.count + $0.workers } }
}
