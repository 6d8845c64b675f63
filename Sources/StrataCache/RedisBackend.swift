/// Redis as a cache backend: `MGET` in batches, `SET key value PX ttl`, with
/// `AUTH` and `SELECT` on every new connection.
public struct RedisBackend: CacheBackend {
    let pool: CacheConnectionPool
    let expirationMs: Int64
    let batchSize: Int

    public init(config: RedisClientConfig) throws {
        let auth: [[UInt8]]? = config.password.isEmpty ? nil
            : (config.username.isEmpty ? [Array("AUTH".utf8), Array(config.password.utf8)]
                : [Array("AUTH".utf8), Array(config.username.utf8), Array(config.password.utf8)])
        let db = config.db
        pool = try CacheConnectionPool(address: config.address, connectTimeout: config.dialTimeout, ioTimeout: config.readTimeout,
                                       maxIdle: config.poolSize) { s in
            if let auth { try RedisBackend.expectOK(try RedisBackend.call(s, auth), "AUTH") }
            if db != 0 { try RedisBackend.expectOK(try RedisBackend.call(s, [Array("SELECT".utf8), Array(String(db).utf8)]), "SELECT") }
        }
        expirationMs = config.expiration.components.seconds * 1000
        batchSize = max(1, config.getMultiBatchSize)
    }

    static func call(_ s: CacheSocket, _ parts: [[UInt8]]) throws -> RESP.Reply {
        try s.write(RESP.command(parts))
        return try RESP.read(s)
    }

    static func expectOK(_ r: RESP.Reply, _ what: String) throws {
        if case .status = r { return }
        throw CacheClientError("redis \(what): \(r)")
    }

    public func getMulti(_ keys: [String]) async throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        var i = 0
        while i < keys.count {
            let batch = Array(keys[i..<min(keys.count, i + batchSize)])
            i += batch.count
            let reply = try await pool.with { s in try RedisBackend.call(s, [Array("MGET".utf8)] + batch.map { Array($0.utf8) }) }
            guard case .array(let items?) = reply, items.count == batch.count else { throw CacheClientError("redis MGET: \(reply)") }
            for (k, item) in zip(batch, items) { if case .bulk(let v?) = item { out[k] = v } }
        }
        return out
    }

    public func set(_ key: String, _ value: [UInt8]) async throws {
        let ttl = Array(String(expirationMs).utf8)
        let reply = try await pool.with { s in
            try RedisBackend.call(s, [Array("SET".utf8), Array(key.utf8), value, Array("PX".utf8), ttl])
        }
        try Self.expectOK(reply, "SET")
    }
}
