/// Thanos's Query API (`thanos.Query`): a PromQL fragment evaluated next to the data, its
/// result streamed back as series. Strata serves it on every Store API endpoint over that
/// endpoint's own series (query pushdown): the querier sends `sum by (job) (rate(x[5m]))` and
/// gets one partial series per group instead of every chunk of every `x`.
public protocol PushdownAPI: Sendable {
    func queryRange(_ request: Thanos_QueryRangeRequest,
                    onResponse: @escaping @Sendable (Thanos_QueryRangeResponse) async throws -> Void) async throws

    /// The same answer with float series as label sets and sample columns, where both sides
    /// allow (a querier reading the wire, a store answering on it), every other message as it
    /// is: no message built per series and sample only to be written or read once.
    func queryRangeAnswers(_ request: Thanos_QueryRangeRequest,
                           onAnswer: @escaping @Sendable (PushdownAnswer) async throws -> Void) async throws
}

/// One message of a pushed-down fragment's answer (`PushdownAPI.queryRangeAnswers`).
public enum PushdownAnswer: Sendable {
    /// Float series, and their size on the wire when read from it (0 in process).
    case floats([FloatSeries], bytes: Int)
    case message(Thanos_QueryRangeResponse)
}

extension PushdownAPI {
    /// Every answer as its message (over gRPC).
    public func queryRangeAnswers(_ request: Thanos_QueryRangeRequest,
                                  onAnswer: @escaping @Sendable (PushdownAnswer) async throws -> Void) async throws {
        try await queryRange(request) { try await onAnswer(.message($0)) }
    }
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
