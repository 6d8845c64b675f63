/// A Store API endpoint as the querier sees it: a remote store gateway, sidecar or querier
/// over gRPC, or a store running in the same process. Store implementations conform to it
/// directly, so an in-process store *is* its own client (no network, same contract).
///
/// `series` calls `onResponse` for each response frame in order; it returns when the stream
/// ends. Throwing from `onResponse` cancels the stream.
public protocol StoreClient: Sendable {
    /// The address or a name for logs and warnings.
    var name: String { get }
    func info() async throws -> Thanos_Info_InfoResponse
    func series(_ request: Thanos_SeriesRequest,
                onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws
    /// The same answer with series as the store holds them (`SeriesAnswer`), for a transport
    /// that writes them itself (the wire); by default every frame as its message.
    func seriesAnswers(_ request: Thanos_SeriesRequest,
                       onAnswer: @escaping @Sendable (SeriesAnswer) async throws -> Void) async throws
    func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse
    func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse
}

extension StoreClient {
    public func seriesAnswers(_ request: Thanos_SeriesRequest,
                              onAnswer: @escaping @Sendable (SeriesAnswer) async throws -> Void) async throws {
        try await series(request) { try await onAnswer(.message($0)) }
    }
}

/// Store API errors with their gRPC meaning, so every transport reports them the same way.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// Bad request (e.g. an invalid regex): gRPC InvalidArgument.
    case invalidArgument(String)
    /// A limit was hit (series, samples, bytes): gRPC ResourceExhausted; the text names it.
    case resourceExhausted(String)
    /// Not ready yet (no sync done): gRPC Unavailable.
    case unavailable(String)
    /// A request this endpoint understands but cannot serve (e.g. a pushed-down fragment
    /// whose answer it cannot carry): gRPC Unimplemented; the caller does it another way.
    case unimplemented(String)
    /// Anything else.
    case `internal`(String)

    public var description: String {
        switch self {
        case .invalidArgument(let m), .resourceExhausted(let m), .unavailable(let m), .unimplemented(let m), .internal(let m): return m
        }
    }
}

extension Thanos_SeriesResponse {
    public static func series(_ s: Thanos_Series) -> Thanos_SeriesResponse {
        var r = Thanos_SeriesResponse()
        r.series = s
        return r
    }

    /// Several series in one message (Thanos's `SeriesBatch`, sent when the request's
    /// `response_batch_size` asks for it).
    public static func batch(_ list: [Thanos_Series]) -> Thanos_SeriesResponse {
        var b = Thanos_SeriesBatch()
        b.series = list
        var r = Thanos_SeriesResponse()
        r.batch = b
        return r
    }

    public static func warning(_ w: String) -> Thanos_SeriesResponse {
        var r = Thanos_SeriesResponse()
        r.warning = w
        return r
    }
}
