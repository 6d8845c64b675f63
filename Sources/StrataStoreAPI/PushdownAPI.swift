/// Thanos's Query API (`thanos.Query`): a PromQL fragment evaluated next to the data, its
/// result streamed back as series. Strata serves it on every Store API endpoint over that
/// endpoint's own series (query pushdown): the querier sends `sum by (job) (rate(x[5m]))` and
/// gets one partial series per group instead of every chunk of every `x`.
public protocol PushdownAPI: Sendable {
    func queryRange(_ request: Thanos_QueryRangeRequest,
                    onResponse: @escaping @Sendable (Thanos_QueryRangeResponse) async throws -> Void) async throws
}

/// Builds the Query API over a component's store; the gRPC server calls it with the store it
/// serves. A factory, because the evaluator (StrataQuery) sits above the store modules.
public typealias PushdownAPIFactory = @Sendable (any StoreClient) -> any PushdownAPI

extension Thanos_QueryRangeResponse {
    public static func series(_ s: Prometheus_TimeSeries) -> Thanos_QueryRangeResponse {
        var r = Thanos_QueryRangeResponse()
        r.timeseries = s
        return r
    }

    public static func batch(_ list: [Prometheus_TimeSeries]) -> Thanos_QueryRangeResponse {
        var b = Thanos_TimeSeriesBatch()
        b.series = list
        var r = Thanos_QueryRangeResponse()
        r.timeseriesBatch = b
        return r
    }

    public static func warning(_ w: String) -> Thanos_QueryRangeResponse {
        var r = Thanos_QueryRangeResponse()
        r.warnings = w
        return r
    }
}
