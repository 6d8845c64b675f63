import StrataSecurity

/// `strata-frontend`'s settings (Thanos query-frontend flag names).
public struct FrontendConfig: Sendable {
    /// `--query-frontend.downstream-url`: the querier.
    public var downstreamURL = "http://localhost:9090"
    /// `--query-frontend.downstream-tripper-config(-file)`: TLS and credentials for the querier.
    public var downstreamClient = HTTPClientConfig()
    /// `--http.config`; nil: plain HTTP without auth.
    public var web: WebConfig?
    /// `--query-frontend.downstream-dns-interval` (30s): how long a DNS answer for a
    /// `dns+`/`dnssrv+`/`dnssrvnoa+` downstream host is used before it is looked up again.
    public var downstreamDNSInterval: Duration = .seconds(30)
    /// `--dns.nameserver`: `ip:port` for those lookups; empty = /etc/resolv.conf.
    public var dnsNameserver = ""
    /// `--query-range.align-range-with-step` (true).
    public var alignRangeWithStep = true
    /// `--query-range.split-interval` (24h), ms; 0 disables splitting.
    public var splitInterval: Int64 = 86_400_000
    /// `--query-range.max-query-parallelism` (14): sub-queries in flight per query.
    public var maxQueryParallelism = 14
    /// `--query-range.max-retries-per-request` (5).
    public var maxRetries = 5
    /// `--query-range.response-cache-max-freshness` (1m), ms: newer results are not cached.
    public var maxFreshness: Int64 = 60_000
    /// How long cached extents live.
    public var cacheTTL: Duration = .seconds(7 * 86_400)
    /// `--query-frontend.vertical-shards` (1 = off): range queries that can be split by series
    /// go to the queriers as this many shards (`VerticalSharding`).
    public var verticalShards = 1
    /// `--query-frontend.log-queries-longer-than` (0 = off).
    public var logQueriesLongerThan: Duration = .zero

    public init() {}
}
