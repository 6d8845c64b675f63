/// A results-cache backend: byte values under string keys. Backends never throw to the
/// frontend — a cache that fails or disappears degrades to misses (and logs and counts it),
/// never to an error for the user.
public protocol ResultsCache: Sendable {
    /// Backend name for logs and metrics (`in-memory`, `sqlite`, `redis`, `memcached`).
    var name: String { get }
    /// The values found; missing keys are simply absent.
    func fetch(_ keys: [String]) async -> [String: [UInt8]]
    func store(_ items: [String: [UInt8]], ttl: Duration) async
}
