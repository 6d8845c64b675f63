import Logging
import Metrics
import StrataCache

/// The REDIS and MEMCACHED backends: the results cache on a cache server. A server that
/// fails, times out or is gone is a miss — logged and counted — never an error for the user;
/// values larger than the server's item limit are not sent.
public final class RemoteResultsCache: ResultsCache {
    public let name: String
    let backend: any CacheBackend
    let maxItemSize: Int
    let logger: Logger

    public init(name: String, backend: any CacheBackend, maxItemSize: Int, logger: Logger) {
        self.name = name
        self.backend = backend
        self.maxItemSize = maxItemSize
        self.logger = logger
    }

    func failed(_ what: String, _ error: any Error) {
        logger.warning("results cache \(what) failed; treated as a miss", metadata: ["backend": "\(name)", "err": "\(error)"])
        Counter(label: "strata_frontend_cache_errors_total", dimensions: [("backend", name)]).increment()
    }

    public func fetch(_ keys: [String]) async -> [String: [UInt8]] {
        do { return try await backend.getMulti(keys) } catch {
            failed("read", error)
            return [:]
        }
    }

    public func store(_ items: [String: [UInt8]], ttl: Duration) async {
        for (k, v) in items {
            guard v.count <= maxItemSize else {
                Counter(label: "strata_frontend_cache_items_too_large_total", dimensions: [("backend", name)]).increment()
                continue
            }
            do { try await backend.set(k, v) } catch {
                failed("write", error)
                return
            }
        }
    }
}
