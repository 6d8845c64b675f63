import StrataCore
import StrataStore
import StrataStoreAPI
import Synchronization

/// The Store API over every tenant's head and blocks, as Thanos's receiver serves it: one
/// label set per tenant in Info (the receiver's `--label`s plus the tenant label), so a
/// querier matching `tenant_id="a"` asks only for tenant a's data, and a series request
/// answered from each tenant's `TSDBStore` whose labels can match, merged in label order.
final class TenantsStore: StoreClient {
    let name = "receive"
    let heads: TenantHeads

    init(heads: TenantHeads) { self.heads = heads }

    func info() async throws -> Thanos_Info_InfoResponse {
        var r = Thanos_Info_InfoResponse()
        r.componentType = "receive"
        var s = Thanos_Info_StoreInfo()
        s.minTime = .max
        s.maxTime = .max
        for t in heads.all {
            let i = try await t.store.info()
            r.labelSets += i.labelSets
            s.minTime = min(s.minTime, i.store.minTime)
        }
        if s.minTime == .max { s.minTime = .min }
        r.store = s
        return r
    }

    func series(_ request: Thanos_SeriesRequest,
                onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        let tenants = heads.all
        // One tenant (the usual case): its answer is already sorted, pass it on as it comes.
        if tenants.count == 1 { return try await tenants[0].store.series(request, onResponse: onResponse) }
        // Tenants' label sets differ in the tenant label, so their series never coincide:
        // the answer is their union, sorted.
        let found = Mutex<[(labels: Labels, series: Thanos_Series)]>([])
        for t in tenants {
            try await t.store.series(request) { r in
                if case .series(let s)? = r.result {
                    found.withLock { $0.append((Labels(proto: s.labels), s)) }
                } else {
                    try await onResponse(r)
                }
            }
        }
        let sorted = found.withLock { $0 }.sorted { $0.labels < $1.labels }
        for s in sorted { try await onResponse(.series(s.series)) }
    }

    func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        var names = Set<String>()
        for t in heads.all { names.formUnion(try await t.store.labelNames(request).names) }
        var r = Thanos_LabelNamesResponse()
        r.names = names.sorted(by: bytewiseLess)
        return r
    }

    func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        var values = Set<String>()
        for t in heads.all { values.formUnion(try await t.store.labelValues(request).values) }
        var r = Thanos_LabelValuesResponse()
        r.values = values.sorted(by: bytewiseLess)
        return r
    }
}
