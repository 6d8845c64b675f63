import StrataCore
import StrataStoreAPI

/// The querier's own Store API (stacked queriers, Thanos's "query" component): every
/// request is fanned out over the endpoints and the answers merged — series in label order,
/// one series with all its chunks, no deduplication (the querier on top does that).
public final class QuerierStore: StoreClient {
    public let name = "querier"
    let endpoints: EndpointSet
    let options: FanOut.Options

    public init(endpoints: EndpointSet, options: FanOut.Options) {
        self.endpoints = endpoints
        self.options = options
    }

    func fanOut(_ strategy: Thanos_PartialResponseStrategy) async -> FanOut {
        var o = options
        o.partialResponse = strategy == .warn
        return FanOut(endpoints: await endpoints.known(), options: o)
    }

    public func info() async throws -> Thanos_Info_InfoResponse {
        let healthy = await endpoints.healthy()
        var r = Thanos_Info_InfoResponse()
        r.componentType = "query"
        var sets: [Labels] = []
        for e in healthy { for s in e.labelSets where !sets.contains(s) { sets.append(s) } }
        r.labelSets = sets.map { s in
            var z = Thanos_ZLabelSet()
            z.labels = s.proto
            return z
        }
        var s = Thanos_Info_StoreInfo()
        s.minTime = healthy.map(\.minTime).min() ?? .max
        s.maxTime = healthy.map(\.maxTime).max() ?? .min
        r.store = s
        return r
    }

    public func series(_ request: Thanos_SeriesRequest,
                       onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        let matchers: [Matcher]
        do { matchers = try request.matchers.matchers() } catch { throw StoreError.invalidArgument("\(error)") }
        let fan = await fanOut(request.partialResponseStrategy)
        let found: [(labels: Labels, chunks: [Thanos_AggrChunk])]
        do { found = try await fan.series(request, matchers: matchers) } catch let e as FanOut.StoreFailure {
            throw StoreError.internal(e.description)
        }
        for w in fan.warnings { try await onResponse(.warning(w)) }
        for f in found {
            var s = Thanos_Series()
            s.labels = f.labels.proto
            if !request.skipChunks { s.chunks = f.chunks.sorted { $0.minTime < $1.minTime } }
            try await onResponse(.series(s))
        }
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        let matchers: [Matcher]
        do { matchers = try request.matchers.matchers() } catch { throw StoreError.invalidArgument("\(error)") }
        let fan = await fanOut(request.partialResponseStrategy)
        var r = Thanos_LabelNamesResponse()
        do { r.names = try await fan.labelNames(request, matchers: matchers) } catch let e as FanOut.StoreFailure {
            throw StoreError.internal(e.description)
        }
        r.warnings = fan.warnings
        return r
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        let matchers: [Matcher]
        do { matchers = try request.matchers.matchers() } catch { throw StoreError.invalidArgument("\(error)") }
        let fan = await fanOut(request.partialResponseStrategy)
        var r = Thanos_LabelValuesResponse()
        do { r.values = try await fan.labelValues(request, matchers: matchers) } catch let e as FanOut.StoreFailure {
            throw StoreError.internal(e.description)
        }
        r.warnings = fan.warnings
        return r
    }
}
