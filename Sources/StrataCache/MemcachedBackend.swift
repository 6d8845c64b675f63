/// memcached as a cache backend (text protocol): multi-key `get` per server and
/// `set` with an expiration, keys spread over the servers by a stable hash.
public struct MemcachedBackend: CacheBackend {
    let servers: [CacheConnectionPool]
    let expirationSeconds: Int64
    let batchSize: Int

    public init(config: MemcachedClientConfig) throws {
        guard !config.addresses.isEmpty else { throw CacheClientError("memcached: no addresses") }
        servers = try config.addresses.map {
            try CacheConnectionPool(address: $0, connectTimeout: config.timeout, ioTimeout: config.timeout, maxIdle: config.maxIdleConnections)
        }
        expirationSeconds = config.expiration.components.seconds
        batchSize = max(1, config.maxGetMultiBatchSize)
    }

    /// FNV-1a: the same key always goes to the same server.
    func server(_ key: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(servers.count))
    }

    public func getMulti(_ keys: [String]) async throws -> [String: [UInt8]] {
        var byServer: [Int: [String]] = [:]
        for k in keys { byServer[server(k), default: []].append(k) }
        var out: [String: [UInt8]] = [:]
        for (i, ks) in byServer {
            var j = 0
            while j < ks.count {
                let batch = Array(ks[j..<min(ks.count, j + batchSize)])
                j += batch.count
                let got = try await servers[i].with { s -> [String: [UInt8]] in
                    try s.write(Array(("get " + batch.joined(separator: " ") + "\r\n").utf8))
                    var values: [String: [UInt8]] = [:]
                    while true {
                        let line = String(decoding: try s.readLine(), as: UTF8.self)
                        if line == "END" { return values }
                        let f = line.split(separator: " ")
                        guard f.count >= 4, f[0] == "VALUE", let n = Int(f[3]) else {
                            throw CacheClientError("memcached get: unexpected reply \"\(line.prefix(100))\"")
                        }
                        let data = try s.readExact(n + 2)
                        values[String(f[1])] = Array(data[0..<n])
                    }
                }
                out.merge(got) { a, _ in a }
            }
        }
        return out
    }

    public func set(_ key: String, _ value: [UInt8]) async throws {
        let exp = expirationSeconds
        try await servers[server(key)].with { s in
            try s.write(Array("set \(key) 0 \(exp) \(value.count)\r\n".utf8) + value + [13, 10])
            let line = String(decoding: try s.readLine(), as: UTF8.self)
            guard line == "STORED" else { throw CacheClientError("memcached set: \(line.prefix(100))") }
        }
    }
}
