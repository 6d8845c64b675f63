import Metrics

/// The frontend's metrics are counted where their events happen (QueryRangeCache,
/// MetadataCache, Downstream and the cache backends); this creates them, at zero, when the
/// service starts, so that the cache hit ratio and error rate exist before the first query
/// (a 0 rate, not an absent one) for dashboards and alerts (deploy/monitoring).
enum FrontendMetrics {
    static func registerKnownSeries(backends: [String]) {
        for name in ["strata_frontend_cache_hits_total", "strata_frontend_cache_misses_total", "strata_frontend_cache_stored_bytes_total",
                     "strata_frontend_split_queries_total", "strata_frontend_sharded_queries_total",
                     "strata_frontend_downstream_retries_total"] {
            _ = Counter(label: name)
        }
        _ = Timer(label: "strata_frontend_query_range_duration_seconds")
        for backend in Set(backends) {
            _ = Counter(label: "strata_frontend_cache_errors_total", dimensions: [("backend", backend)])
        }
    }
}
