import StrataCore
import StrataStoreAPI

/// The exemplars of all endpoints, HA replicas deduplicated by Thanos's rules
/// (pkg/exemplars dedupExemplarsResponse): series whose labels are equal without the replica
/// labels are one series holding the exemplars of all copies, each distinct exemplar (time,
/// labels, value) once, in time order; series in label order.
enum ExemplarsMerge {
    static func merge(_ parts: [Thanos_ExemplarData], replicaLabels: Set<String>) -> [Thanos_ExemplarData] {
        var bySeries: [Labels: [Thanos_Exemplar]] = [:]
        for d in parts where !d.exemplars.isEmpty {
            bySeries[Labels(proto: d.seriesLabels.labels).removing(replicaLabels), default: []].append(contentsOf: d.exemplars)
        }
        return bySeries.sorted { $0.key < $1.key }.map { series, exemplars in
            var d = Thanos_ExemplarData()
            d.seriesLabels.labels = series.proto
            let sorted = exemplars.map { e -> (Thanos_Exemplar, Labels) in
                var e = e
                let labels = Labels(proto: e.labels.labels)
                e.labels.labels = labels.proto
                return (e, labels)
            }.sorted { a, b in
                if a.0.ts != b.0.ts { return a.0.ts < b.0.ts }
                if a.1 != b.1 { return a.1 < b.1 }
                return a.0.value < b.0.value
            }
            var kept: [(Thanos_Exemplar, Labels)] = []
            for x in sorted {
                if let last = kept.last, last.0.ts == x.0.ts, last.1 == x.1, last.0.value == x.0.value || (last.0.value.isNaN && x.0.value.isNaN) {
                    continue
                }
                kept.append(x)
            }
            d.exemplars = kept.map(\.0)
            return d
        }
    }
}
