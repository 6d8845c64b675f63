import Foundation
import MetricsTestKit
import StrataBucket
import StrataCore
import StrataObjStore
@testable import StrataStore
import StrataTestSupport
import Testing

@Suite struct IndexCacheTests {
    func key(_ i: Int, _ item: IndexCacheItem = .postings) -> IndexCacheKey {
        IndexCacheKey(block: ULID(bytes: [UInt8](repeating: 1, count: 16)), item: item, offset: Int64(i))
    }

    @Test func lruEvictsByBytesAndSkipsHugeItems() async throws {
        var c = IndexCacheConfig()
        c.maxSize = 3 * (100 + InMemoryIndexCache.entryOverhead)
        c.maxItemSize = 150
        let metrics = TestMetrics()
        let cache = InMemoryIndexCache(config: c, factory: metrics)
        for i in 0..<3 { await cache.store(key(i), [UInt8](repeating: UInt8(i), count: 100)) }
        #expect(cache.count == 3 && cache.bytes == c.maxSize)
        // Touch 0, so 1 is the least recently used and goes first.
        #expect(await cache.fetch([key(0)]) == [[UInt8](repeating: 0, count: 100)])
        await cache.store(key(3), [UInt8](repeating: 3, count: 100))
        let all = await cache.fetch((0..<4).map { key($0) })
        #expect(all.map { $0 != nil } == [true, false, true, true])
        #expect(cache.bytes <= c.maxSize)
        await cache.store(key(9), [UInt8](repeating: 9, count: 151))
        #expect(await cache.fetch([key(9)]) == [nil])
        // Replacing a key does not double count it.
        await cache.store(key(3), [1])
        #expect(cache.bytes == 2 * (100 + InMemoryIndexCache.entryOverhead) + 1 + InMemoryIndexCache.entryOverhead)
        #expect(try metrics.expectCounter("strata_store_index_cache_evictions_total").totalValue == 1)
        #expect(try metrics.expectCounter("strata_store_index_cache_requests_total", [("item_type", "postings")]).totalValue == 6)
        #expect(try metrics.expectCounter("strata_store_index_cache_hits_total", [("item_type", "postings")]).totalValue == 4)
    }

    @Test func manyEntriesStayWithinBudget() async {
        var c = IndexCacheConfig()
        c.maxSize = 10_000
        c.maxItemSize = 1000
        let cache = InMemoryIndexCache(config: c, factory: TestMetrics())
        for i in 0..<5000 { await cache.store(key(i, i % 2 == 0 ? .series : .postings), [UInt8](repeating: 1, count: i % 300)) }
        #expect(cache.bytes <= 10_000)
        #expect(cache.count > 10)
    }

    @Test func configInThanosFormat() throws {
        let c = try IndexCacheConfig(yaml: "type: IN-MEMORY\nconfig:\n  max_size: 1GB\n  max_item_size: 64MiB\n")
        #expect(c.maxSize == 1 << 30 && c.maxItemSize == 64 << 20)
        #expect(try IndexCacheConfig(yaml: "type: in-memory\n").maxSize == 250 << 20)
        #expect(try IndexCacheConfig(yaml: "type: IN-MEMORY\nconfig: {max_size: 10MB}\n").maxItemSize == 10 << 20)
        #expect(throws: ConfigError.self) { try IndexCacheConfig(yaml: "type: IN-MEMORY\nconfig: {max_size: 10MB, max_item_size: 20MB}\n") }
        #expect(throws: ConfigError.self) { try IndexCacheConfig(yaml: "type: NOPE\nconfig: {}\n") }
        #expect(throws: ConfigError.self) { try IndexCacheConfig(yaml: "type: REDIS\nconfig: {}\n") }
        #expect(throws: ConfigError.self) { try IndexCacheConfig(yaml: "type: MEMCACHED\nconfig: {addresses: []}\n") }
        let r = try IndexCacheConfig(yaml: "type: REDIS\nconfig:\n  addr: h:1\n  dial_timeout: 250ms\n  db: 3\n")
        #expect(r.backend == .redis({ var x = IndexCacheConfig.Redis(); x.address = "h:1"; x.dialTimeout = .milliseconds(250); x.db = 3; return x }()))
        #expect(throws: ConfigError.self) { try IndexCacheConfig(yaml: "type: IN-MEMORY\nconfig:\n  max_size: lots\n") }
    }

    /// A repeated query is answered from the cache: no index reads, only chunk reads, and
    /// the same samples (checked against promtool's dump).
    @Test func repeatedQueryReadsNoIndex() async throws {
        let dir = TestEnv.tempDir("bstore-cache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = CountingBucket(try FilesystemBucket(directory: dir + "/bucket"))
        try await Fixtures.uploadPromBlocks(bucket)
        let cache = InMemoryIndexCache(factory: TestMetrics())
        let store = Fixtures.store(bucket, dataDir: dir + "/data") { $0.indexCache = cache }
        _ = try await store.sync()
        let req = try Fixtures.request(#"{job=~"a.*|db",instance!="host-1:9100"}"#)
        bucket.reset()
        let first = try Fixtures.lines(try await Fixtures.collect(store, req).series)
        #expect(bucket.snapshot.ranges.contains { $0.hasSuffix("/index") })
        #expect(cache.count > 0)
        bucket.reset()
        let second = try Fixtures.lines(try await Fixtures.collect(store, req).series)
        #expect(first == second && !first.isEmpty)
        #expect(!bucket.snapshot.ranges.contains { $0.hasSuffix("/index") }, "\(bucket.snapshot.ranges)")
        #expect(bucket.snapshot.ranges.allSatisfy { $0.contains("/chunks/") })
        if let promtool = try TestEnv.promtool() {
            try await BucketStoreTests.checkAgainstDump(store, promtool)
            try await BucketStoreTests.checkAgainstDump(store, promtool)
        }
    }

    /// More series than `parallelDecodeEntries`: the cached entries are decoded on all
    /// cores on the second query, into the same series in the same order as read from the
    /// bucket the first time.
    @Test func manyCachedSeriesDecodeAsRead() async throws {
        let dir = TestEnv.tempDir("bstore-cache-many")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = CountingBucket(try FilesystemBucket(directory: dir + "/bucket"))
        let n = BucketBlock.parallelDecodeEntries * 2 + 7
        let meta = try Fixtures.writeBlock(parent: dir + "/blocks", minTime: 0, hours: 2, series: n, labels: ["cluster": "c"], step: 600_000)
        try await BlockUploader(bucket: bucket).upload(blockDir: dir + "/blocks/\(meta.ulid)", externalLabels: ["cluster": "c"], source: "test")
        let cache = InMemoryIndexCache(factory: TestMetrics())
        let store = Fixtures.store(bucket, dataDir: dir + "/data") { $0.indexCache = cache }
        _ = try await store.sync()
        let req = try Fixtures.request(#"{__name__="gen_metric",mod=~"m0|m2"}"#)
        let first = try Fixtures.lines(try await Fixtures.collect(store, req).series)
        bucket.reset()
        let second = try Fixtures.lines(try await Fixtures.collect(store, req).series)
        #expect(first.count > BucketBlock.parallelDecodeEntries && first == second)
        #expect(!bucket.snapshot.ranges.contains { $0.hasSuffix("/index") })
    }
}
