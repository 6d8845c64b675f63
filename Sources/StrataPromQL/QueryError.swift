/// Errors of query execution, worded like Prometheus's so API clients see familiar text.
public enum QueryError: Error, CustomStringConvertible, Sendable {
    /// The query would hold more samples in memory than allowed (`--query.max-samples`).
    case tooManySamples(String)
    case timeout(String)
    case canceled(String)
    /// An evaluation error, e.g. many-to-many matching or an invalid regex argument.
    case execution(String)
    case storage(String)
    /// A query that cannot run as asked, e.g. a range vector in a range query.
    case badQuery(String)

    public var description: String {
        switch self {
        case .tooManySamples(let env):
            return "query processing would load too many samples into memory in \(env)"
        case .timeout(let env): return "query timed out in \(env)"
        case .canceled(let env): return "query was canceled in \(env)"
        case .execution(let m): return m
        case .storage(let m): return "expanding series: \(m)"
        case .badQuery(let m): return m
        }
    }
}
