import StrataCore
import StrataPromQL
import StrataStore
import StrataStoreAPI

/// Thanos's Exemplars API over every tenant's exemplar ring: the query's selectors pick the
/// series (a matcher on an external label — the tenant label — picks the tenants), each
/// series answered with its tenant's external labels, as the querier's
/// `/api/v1/query_exemplars` expects from a receiver.
struct TenantsExemplars: ExemplarsAPI {
    let heads: TenantHeads

    func exemplars(_ request: Thanos_ExemplarsRequest,
                   onResponse: @escaping @Sendable (Thanos_ExemplarsResponse) async throws -> Void) async throws {
        let expr: Expr
        do { expr = try PromQL.parse(request.query) } catch { throw StoreError.invalidArgument("\(error)") }
        let selectors = expr.selectorMatchers
        guard !selectors.isEmpty else { return }
        for t in heads.all {
            let external = heads.labels(of: t.id)
            let sets = selectors.compactMap { LocalBlockStore.blockMatchers($0, external: external) }
            guard !sets.isEmpty else { continue }
            for (series, list) in t.exemplars.select(start: request.start, end: request.end, sets) {
                var d = Thanos_ExemplarData()
                d.seriesLabels.labels = series.merging(external).proto
                d.exemplars = list.map { e in
                    var x = Thanos_Exemplar()
                    x.labels.labels = e.labels.proto
                    x.value = e.value
                    x.ts = e.timestamp
                    return x
                }
                try await onResponse(.data(d))
            }
        }
    }
}
