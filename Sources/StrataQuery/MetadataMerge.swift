import StrataCore
import StrataStoreAPI

/// The metric metadata of all endpoints as Prometheus's `/api/v1/metadata` map: per metric the
/// distinct (type, help, unit) triples in order of arrival, as Thanos's metadata client
/// merges them. `limit` caps the number of metrics (negative: no cap; 0: none) and
/// `limitPerMetric` the triples per metric (≤ 0: no cap), as Prometheus applies them.
enum MetadataMerge {
    static func merge(_ parts: [Thanos_MetricMetadata], limit: Int, limitPerMetric: Int) -> [(metric: String, metas: [Thanos_Meta])] {
        var byMetric: [String: [Thanos_Meta]] = [:]
        for part in parts {
            for name in part.metadata.keys.sorted(by: bytewiseLess) {
                let metas = part.metadata[name]!.metas
                if byMetric[name] == nil {
                    guard limit < 0 || byMetric.count < limit else { continue }
                    byMetric[name] = []
                }
                for m in metas where !byMetric[name]!.contains(m) {
                    if limitPerMetric > 0 && byMetric[name]!.count >= limitPerMetric { break }
                    byMetric[name]!.append(m)
                }
            }
        }
        // Go writes map keys sorted.
        return byMetric.sorted { bytewiseLess($0.key, $1.key) }.map { ($0.key, $0.value) }
    }
}
