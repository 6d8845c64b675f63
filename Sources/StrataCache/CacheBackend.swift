/// A key-value cache server (Redis, memcached) as Strata's caches see it: the store
/// gateway's index cache and the frontend's results cache both sit on this.
public protocol CacheBackend: Sendable {
    /// Values of the keys present; throws when the server cannot be asked.
    func getMulti(_ keys: [String]) async throws -> [String: [UInt8]]
    func set(_ key: String, _ value: [UInt8]) async throws
}
