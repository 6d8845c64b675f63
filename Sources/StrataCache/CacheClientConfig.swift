import StrataCore

/// Redis client settings, Thanos's `type: REDIS` `config:` keys: `addr`, `username`,
/// `password`, `db`, `dial_timeout`, `read_timeout`, `pool_size`, `expiration`,
/// `get_multi_batch_size`, `max_async_concurrency`, `max_async_buffer_size`, `max_item_size`.
public struct RedisClientConfig: Sendable, Equatable {
    public var address = ""
    public var username = ""
    public var password = ""
    public var db = 0
    public var dialTimeout: Duration = .seconds(5)
    public var readTimeout: Duration = .seconds(3)
    public var poolSize = 100
    public var expiration: Duration = .seconds(24 * 3600)
    public var getMultiBatchSize = 100
    public var maxAsyncConcurrency = 20
    public var maxAsyncBufferSize = 10_000
    public var maxItemSize = 1 << 20

    public init() {}

    /// From a parsed `config:` mapping; `context` names the config in errors.
    public init(parsing c: [String: Any], context: String) throws {
        let f = ConfigFields(c, context: context)
        guard let addr = f.string("addr"), !addr.isEmpty else { throw ConfigError("\(context) REDIS: config.addr is required") }
        address = addr
        username = f.string("username") ?? ""
        password = f.string("password") ?? ""
        if let v = try f.int("db") { db = v }
        if let v = try f.duration("dial_timeout") { dialTimeout = v }
        if let v = try f.duration("read_timeout") { readTimeout = v }
        if let v = try f.int("pool_size") { poolSize = v }
        if let v = try f.duration("expiration") { expiration = v }
        if let v = try f.int("get_multi_batch_size") { getMultiBatchSize = v }
        if let v = try f.int("max_async_concurrency") { maxAsyncConcurrency = v }
        if let v = try f.int("max_async_buffer_size") { maxAsyncBufferSize = v }
        if let v = try f.bytes("max_item_size") { maxItemSize = v }
    }
}

/// memcached client settings, Thanos's `type: MEMCACHED` `config:` keys: `addresses`,
/// `timeout`, `max_idle_connections`, `max_item_size`, `max_get_multi_batch_size`,
/// `max_async_concurrency`, `max_async_buffer_size`, `expiration`.
public struct MemcachedClientConfig: Sendable, Equatable {
    public var addresses: [String] = []
    public var timeout: Duration = .milliseconds(500)
    public var maxIdleConnections = 100
    public var maxItemSize = 1 << 20
    public var maxGetMultiBatchSize = 100
    public var maxAsyncConcurrency = 20
    public var maxAsyncBufferSize = 10_000
    public var expiration: Duration = .seconds(24 * 3600)

    public init() {}

    public init(parsing c: [String: Any], context: String) throws {
        let f = ConfigFields(c, context: context)
        addresses = (c["addresses"] as? [Any])?.map { "\($0)" } ?? []
        guard !addresses.isEmpty else { throw ConfigError("\(context) MEMCACHED: config.addresses is required") }
        if let v = try f.duration("timeout") { timeout = v }
        if let v = try f.int("max_idle_connections") { maxIdleConnections = v }
        if let v = try f.bytes("max_item_size") { maxItemSize = v }
        if let v = try f.int("max_get_multi_batch_size") { maxGetMultiBatchSize = v }
        if let v = try f.int("max_async_concurrency") { maxAsyncConcurrency = v }
        if let v = try f.int("max_async_buffer_size") { maxAsyncBufferSize = v }
        if let v = try f.duration("expiration") { expiration = v }
    }
}

/// Typed reads of a YAML `config:` mapping with errors that name the field.
public struct ConfigFields {
    let c: [String: Any]
    let context: String

    public init(_ c: [String: Any], context: String) {
        self.c = c
        self.context = context
    }

    public func string(_ k: String) -> String? { c[k].map { "\($0)" } }

    public func int(_ k: String) throws -> Int? {
        guard let s = string(k) else { return nil }
        guard let n = Int(s), n >= 0 else { throw ConfigError("\(context) \(k): \"\(s)\" is not a number") }
        return n
    }

    public func duration(_ k: String) throws -> Duration? {
        guard let s = string(k) else { return nil }
        do { return .milliseconds(try parseDuration(s)) } catch { throw ConfigError("\(context) \(k): \(error)") }
    }

    public func bytes(_ k: String) throws -> Int? {
        guard let s = string(k) else { return nil }
        do { return try parseByteSize(s) } catch { throw ConfigError("\(context) \(k): \(error)") }
    }
}
