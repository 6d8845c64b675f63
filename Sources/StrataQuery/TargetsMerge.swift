import StrataCore
import StrataStoreAPI
import SwiftProtobuf

/// The targets of all endpoints as one list, HA replicas deduplicated by Thanos's rules
/// (pkg/targets dedupTargets): with the replica labels removed, active targets with the same
/// scrape URL, pool, discovered labels and labels are one target, and of the copies the one
/// in the lowest health (down before up before unknown) wins, then the latest scrape — a
/// replica that cannot scrape a target is not hidden by one that can. Dropped targets are one
/// per discovered label set. Sorted as Thanos sorts them: by scrape URL, pool, labels.
enum TargetsMerge {
    static func merge(_ parts: [Thanos_TargetDiscovery], replicaLabels: Set<String>) -> Thanos_TargetDiscovery {
        struct Key: Hashable {
            let url: String, pool: String
            let discovered: Labels, labels: Labels
        }
        var active: [Key: Thanos_ActiveTarget] = [:]
        var dropped: [Labels: Thanos_DroppedTarget] = [:]
        for part in parts {
            for var t in part.activeTargets {
                let discovered = Labels(proto: t.discoveredLabels.labels).removing(replicaLabels)
                let labels = Labels(proto: t.labels.labels).removing(replicaLabels)
                t.discoveredLabels.labels = discovered.proto
                t.labels.labels = labels.proto
                let key = Key(url: t.scrapeURL, pool: t.scrapePool, discovered: discovered, labels: labels)
                if let kept = active[key], !preferred(t, over: kept) { continue }
                active[key] = t
            }
            for var t in part.droppedTargets {
                let discovered = Labels(proto: t.discoveredLabels.labels).removing(replicaLabels)
                t.discoveredLabels.labels = discovered.proto
                if dropped[discovered] == nil { dropped[discovered] = t }
            }
        }
        var out = Thanos_TargetDiscovery()
        out.activeTargets = active.sorted { a, b in
            if a.key.url != b.key.url { return bytewiseLess(a.key.url, b.key.url) }
            if a.key.pool != b.key.pool { return bytewiseLess(a.key.pool, b.key.pool) }
            if a.key.discovered != b.key.discovered { return a.key.discovered < b.key.discovered }
            return a.key.labels < b.key.labels
        }.map(\.value)
        out.droppedTargets = dropped.sorted { $0.key < $1.key }.map(\.value)
        return out
    }

    /// Thanos's `CompareState` < 0: lower health value, then the later last scrape.
    static func preferred(_ t: Thanos_ActiveTarget, over kept: Thanos_ActiveTarget) -> Bool {
        if t.health.rawValue != kept.health.rawValue { return t.health.rawValue < kept.health.rawValue }
        return Google_Protobuf_Timestamp.compare(t.lastScrape, kept.lastScrape) > 0
    }

    /// Prometheus's `state` parameter: "" and "any" ask for both lists; any other value than
    /// "active" or "dropped" answers two empty lists (Prometheus does not reject it).
    static func state(_ text: String) -> Thanos_TargetsRequest.State? {
        switch text.lowercased() {
        case "", "any": return .any
        case "active": return .active
        case "dropped": return .dropped
        default: return nil
        }
    }
}
