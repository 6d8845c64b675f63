import Foundation
import Logging
import StrataCache
import StrataFrontend
import StrataTestSupport
import Testing

/// The frontend on real cache servers (redis-server, memcached started here): warm answers
/// come from the server, and when the server is killed mid-test queries are still answered
/// — from the querier — with the same JSON.
@Suite(.serialized) struct RemoteCacheFrontendTests {
    func exercise(_ server: CacheServer, _ backend: any CacheBackend, _ name: String) async throws {
        let cache = RemoteResultsCache(name: name, backend: backend, maxItemSize: 16 << 20, logger: Logger(label: name))
        let stack = try await FrontendStack.start(cache: cache)
        let t0 = FrontendStack.t0
        let q = FrontendTests.range("sum by (job) (rate(req_total[10m]))", t0 + 3_600_000, t0 + 40 * 3_600_000, step: 300)
        let direct = try await stack.direct(q)
        #expect(try await stack.viaFrontend(q) == direct)
        let n = stack.downstreamQueries
        #expect(try await stack.viaFrontend(q) == direct)
        #expect(stack.downstreamQueries == n, "\(name): warm answer from the cache server")
        server.stop()
        #expect(try await stack.viaFrontend(q) == direct, "\(name) gone: answered by the querier")
        #expect(stack.downstreamQueries > n)
        let other = FrontendTests.range("max_over_time(temp[1h])", t0, t0 + 50 * 3_600_000, step: 600)
        #expect(try await stack.viaFrontend(other) == (try await stack.direct(other)))
        await stack.stop()
    }

    @Test func redis() async throws {
        guard let server = try await CacheServer.redis() else { return }
        var c = RedisClientConfig()
        c.address = "127.0.0.1:\(server.port)"
        c.dialTimeout = .milliseconds(300)
        c.readTimeout = .milliseconds(300)
        try await exercise(server, try RedisBackend(config: c), "redis")
    }

    @Test func memcached() async throws {
        guard let server = try await CacheServer.memcached() else { return }
        var c = MemcachedClientConfig()
        c.addresses = ["127.0.0.1:\(server.port)"]
        c.timeout = .milliseconds(300)
        try await exercise(server, try MemcachedBackend(config: c), "memcached")
    }

    @Test func configSelectsBackends() throws {
        let log = Logger(label: "cfg")
        let dir = TestEnv.tempDir("fe-config")
        #expect(try CacheConfig.make(yaml: nil, dataDir: dir, logger: log).0.name == "sqlite")
        #expect(try CacheConfig.make(yaml: "type: IN-MEMORY\nconfig:\n  max_size: 64MB\n", dataDir: dir, logger: log).0.name == "in-memory")
        let (r, ttl) = try CacheConfig.make(yaml: "type: REDIS\nconfig:\n  addr: 127.0.0.1:1\n  expiration: 1h\n", dataDir: dir, logger: log)
        #expect(r.name == "redis" && ttl == .seconds(3600))
        #expect(try CacheConfig.make(yaml: "type: MEMCACHED\nconfig:\n  addresses: [127.0.0.1:1]\n", dataDir: dir, logger: log).0.name == "memcached")
        #expect(throws: (any Error).self) { try CacheConfig.make(yaml: "type: REDIS\nconfig: {}\n", dataDir: dir, logger: log) }
        #expect(throws: (any Error).self) { try CacheConfig.make(yaml: "type: NOPE\n", dataDir: dir, logger: log) }
    }
}
