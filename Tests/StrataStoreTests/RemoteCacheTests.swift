import Foundation
import Logging
import MetricsTestKit
import StrataCore
import StrataObjStore
@testable import StrataCache
@testable import StrataStore
import StrataTestSupport
import Testing

@Suite(.serialized) struct RemoteCacheTests {
    func key(_ i: Int, _ item: IndexCacheItem = .series) -> IndexCacheKey {
        IndexCacheKey(block: ULID(bytes: [UInt8](repeating: 7, count: 16)), item: item, offset: Int64(i))
    }

    func waitWrites(_ cache: any IndexCache) async throws {
        guard let r = cache as? RemoteIndexCache else { return }
        let deadline = ContinuousClock.now + .seconds(10)
        while r.pending > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// Round trip of binary values (CR/LF and NUL bytes inside, 1 byte to 200 KB), misses,
    /// and many keys in one lookup across batches.
    func roundTrip(_ cache: any IndexCache) async throws {
        let values: [[UInt8]] = [[0], [13, 10, 0, 13, 10], Array(repeating: 0x42, count: 200_000), Array("END\r\nVALUE".utf8)]
        for (i, v) in values.enumerated() { await cache.store(key(i), v) }
        for i in 10..<260 { await cache.store(key(i, .postings), [UInt8](repeating: UInt8(i % 256), count: i)) }
        try await waitWrites(cache)
        let got = await cache.fetch((0..<values.count).map { key($0) } + [key(99)])
        #expect(got.count == values.count + 1 && got.last! == nil)
        for (i, v) in values.enumerated() {
            let same = got[i] == v
            #expect(same, "value \(i) differs")
        }
        let many = await cache.fetch((10..<260).map { key($0, .postings) })
        let v200 = many[190] == [UInt8](repeating: 200, count: 200)
        #expect(many.count == 250 && many.allSatisfy { $0 != nil } && v200)
    }

    @Test func redisRoundTripAndAuth() async throws {
        guard let server = try await CacheServer.redis(password: "s3cret") else { return }
        defer { server.stop() }
        let ok = try IndexCacheConfig(yaml: "type: REDIS\nconfig:\n  addr: 127.0.0.1:\(server.port)\n  password: s3cret\n  db: 2\n  get_multi_batch_size: 64\n")
        try await roundTrip(try ok.makeCache(factory: TestMetrics()))
        // A wrong password: every lookup is a miss, counted as a failure, never an error.
        let metrics = TestMetrics()
        let bad = try IndexCacheConfig(yaml: "type: REDIS\nconfig:\n  addr: 127.0.0.1:\(server.port)\n  password: nope\n").makeCache(factory: metrics)
        await bad.store(key(1), [1, 2, 3])
        #expect(await bad.fetch([key(1)]) == [nil])
        #expect(try metrics.expectCounter("strata_store_index_cache_failures_total", [("backend", "redis")]).totalValue >= 1)
    }

    @Test func memcachedRoundTrip() async throws {
        guard let server = try await CacheServer.memcached() else { return }
        defer { server.stop() }
        let c = try IndexCacheConfig(yaml: "type: MEMCACHED\nconfig:\n  addresses: [\"127.0.0.1:\(server.port)\"]\n  max_get_multi_batch_size: 50\n  timeout: 2s\n")
        try await roundTrip(try c.makeCache(factory: TestMetrics()))
    }

    /// A dead cache server degrades to misses: queries still answer, fast, and the same.
    @Test func deadCacheServersAreMisses() async throws {
        let port = try freePort()  // nothing listens there
        let dir = TestEnv.tempDir("bstore-deadcache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        try await Fixtures.uploadPromBlocks(bucket)
        for yaml in ["type: REDIS\nconfig:\n  addr: 127.0.0.1:\(port)\n  dial_timeout: 200ms\n",
                     "type: MEMCACHED\nconfig:\n  addresses: [\"127.0.0.1:\(port)\"]\n  timeout: 200ms\n"] {
            let metrics = TestMetrics()
            let cache = try IndexCacheConfig(yaml: yaml).makeCache(factory: metrics)
            let store = Fixtures.store(bucket, dataDir: dir + "/data") { $0.indexCache = cache }
            _ = try await store.sync()
            let plain = Fixtures.store(bucket, dataDir: dir + "/data")
            _ = try await plain.sync()
            let req = try Fixtures.request(#"{__name__=~".+"}"#)
            let start = ContinuousClock.now
            let got = try Fixtures.lines(try await Fixtures.collect(store, req).series)
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(got == (try Fixtures.lines(try await Fixtures.collect(plain, req).series)) && !got.isEmpty)
            let backend = yaml.hasPrefix("type: REDIS") ? "redis" : "memcached"
            #expect(try metrics.expectCounter("strata_store_index_cache_failures_total", [("backend", backend)]).totalValue >= 1)
        }
    }

    /// With Redis as the index cache a repeated query reads no index from the bucket.
    @Test func storeUsesRedisAndMemcached() async throws {
        guard let redis = try await CacheServer.redis() else { return }
        defer { redis.stop() }
        guard let memcached = try await CacheServer.memcached() else { return }
        defer { memcached.stop() }
        let dir = TestEnv.tempDir("bstore-rcache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = CountingBucket(try FilesystemBucket(directory: dir + "/bucket"))
        try await Fixtures.uploadPromBlocks(bucket)
        for yaml in ["type: REDIS\nconfig:\n  addr: 127.0.0.1:\(redis.port)\n",
                     "type: MEMCACHED\nconfig:\n  addresses: [\"127.0.0.1:\(memcached.port)\"]\n"] {
            let cache = try IndexCacheConfig(yaml: yaml).makeCache(factory: TestMetrics())
            let store = Fixtures.store(bucket, dataDir: dir + "/data") { $0.indexCache = cache }
            _ = try await store.sync()
            let req = try Fixtures.request(#"{job=~"a.*|db",instance!="host-1:9100"}"#)
            let first = try Fixtures.lines(try await Fixtures.collect(store, req).series)
            try await waitWrites(cache)
            bucket.reset()
            let second = try Fixtures.lines(try await Fixtures.collect(store, req).series)
            #expect(first == second && !first.isEmpty)
            #expect(!bucket.snapshot.ranges.contains { $0.hasSuffix("/index") }, "\(yaml): \(bucket.snapshot.ranges)")
        }
    }
}
