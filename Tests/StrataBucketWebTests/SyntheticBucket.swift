import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB
import StrataTestSupport

/// A bucket of meta.json files and markers only (all the viewer reads), shaped like a real
/// fleet's history: per cluster, 14d (level 4), 2d (level 3), 8h (level 2) and 2h (level 1)
/// raw blocks with 5m copies of the 2d+ blocks and 1h copies of the 14d ones — or, with
/// `compacted: false`, nothing but 2h blocks, the quickest way to thousands of blocks. On
/// top: a gap, an overlap, blocks just compacted (sources marked for deletion), a no-compact
/// mark, a partial upload and an unreadable meta.json.
struct SyntheticBucket {
    static let hour: Int64 = 3_600_000
    static let day = 24 * hour

    /// What the anomalies are, for the assertions.
    var partial: ULID
    var unreadable: ULID
    var gapCluster: String { "us-east-1" }
    var overlapCluster = "eu-west-1"
    var blocks = 0

    static func write(root: String, clusters: [String], days: Int, end: Int64, compacted: Bool) throws -> SyntheticBucket {
        var rng = SplitMix(state: 42)
        var count = 0
        let gapCluster = "us-east-1", gap = (end - 40 * hour, end - 32 * hour)
        func put(_ minT: Int64, _ maxT: Int64, cluster: String, level: Int, resolution: Int64 = 0, replica: String = "0",
                 mark: MarkerKind? = nil) throws {
            // A sidecar that was down for eight hours: nothing uploaded, nothing compacted.
            if cluster == gapCluster && minT < gap.1 && maxT > gap.0 { return }
            let id = ULID(timestampMs: maxT + (level == 1 ? 3 * 60_000 : 2 * hour) + resolution, using: &rng)
            var m = BlockMeta(ulid: id, minTime: minT, maxTime: maxT)
            let series = UInt64(900 + cluster.utf8.reduce(0) { $0 + Int($1) } % 400)
            let step = resolution == 0 ? Int64(30_000) : resolution
            m.stats.numSeries = series
            m.stats.numSamples = series * UInt64((maxT - minT) / step) * (resolution == 0 ? 1 : 5)
            m.stats.numChunks = max(series, m.stats.numSamples / 120)
            m.compaction.level = level
            m.compaction.sources = [id]
            m.thanos = ThanosMeta(labels: ["cluster": cluster, "replica": replica], source: level == 1 && resolution == 0 ? "sidecar" : "compactor",
                                  resolution: resolution)
            m.thanos?.files = [ThanosFile(relPath: "chunks/000001", sizeBytes: Int64(m.stats.numSamples) * 13 / 10),
                               ThanosFile(relPath: "index", sizeBytes: Int64(series) * 400 + 4096), ThanosFile(relPath: "meta.json", sizeBytes: 0)]
            let dir = root + "/" + id.description
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try m.write(dir: dir)
            if let mark {
                let marker = BlockMarker(kind: mark, id: id, time: end / 1000 - 600, details: "synthetic", reason: "manual")
                try Data(marker.encoded).write(to: URL(fileURLWithPath: dir + "/" + mark.rawValue))
            }
            count += 1
        }
        let bucket = SyntheticBucket(partial: ULID(timestampMs: end - 20 * 60_000, using: &rng),
                                     unreadable: ULID(timestampMs: end - 5 * day, using: &rng))
        let start = (end - Int64(days) * day) / (14 * day) * (14 * day)
        for (n, cluster) in clusters.enumerated() {
            var t = compacted ? start : end - Int64(days) * day
            if compacted {
                while t + 14 * day <= end - 4 * day {
                    try put(t, t + 14 * day, cluster: cluster, level: 4)
                    try put(t, t + 14 * day, cluster: cluster, level: 4, resolution: 300_000)
                    try put(t, t + 14 * day, cluster: cluster, level: 4, resolution: 3_600_000)
                    t += 14 * day
                }
                while t + 2 * day <= end - day {
                    try put(t, t + 2 * day, cluster: cluster, level: 3)
                    try put(t, t + 2 * day, cluster: cluster, level: 3, resolution: 300_000)
                    t += 2 * day
                }
                while t + 8 * hour <= end - 8 * hour {
                    // The newest 8h block of the third cluster was compacted a few minutes ago:
                    // its four sources are still there, marked for deletion.
                    let fresh = n == 2 && t + 16 * hour > end - 8 * hour
                    try put(t, t + 8 * hour, cluster: cluster, level: 2, mark: n == 0 && t == end - 24 * hour ? .noCompact : nil)
                    if fresh {
                        for k in 0..<4 { try put(t + Int64(k) * 2 * hour, t + Int64(k + 1) * 2 * hour, cluster: cluster, level: 1, mark: .deletion) }
                    }
                    t += 8 * hour
                }
            }
            while t + 2 * hour <= end {
                try put(t, t + 2 * hour, cluster: cluster, level: 1)
                t += 2 * hour
            }
            if cluster == bucket.overlapCluster {
                // A second Prometheus uploading with the same external labels: overlapping blocks.
                try put(end - 5 * hour, end - 3 * hour, cluster: cluster, level: 1)
            }
        }
        let partialDir = root + "/" + bucket.partial.description
        try FileManager.default.createDirectory(atPath: partialDir + "/chunks", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: partialDir + "/chunks/000001"))
        let badDir = root + "/" + bucket.unreadable.description
        try FileManager.default.createDirectory(atPath: badDir, withIntermediateDirectories: true)
        try Data("{\"ulid\": \"\(bucket.unreadable)\", \"minTime\": ".utf8).write(to: URL(fileURLWithPath: badDir + "/meta.json"))
        var out = bucket
        out.blocks = count
        return out
    }
}
