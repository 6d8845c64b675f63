import StrataTSDB

/// Chooses which blocks answer a query: the coarsest resolution allowed by
/// `max_resolution_window`, with time it does not cover filled from finer resolutions
/// (Thanos's rule, so a 30-day query reads 1h data where it exists and raw data elsewhere).
public enum ResolutionPlanner {
    public static func choose(_ metas: [BlockMeta], minTime: Int64, maxTime: Int64, maxResolution: Int64) -> [BlockMeta] {
        let overlapping = metas.filter { $0.minTime <= maxTime && $0.maxTime > minTime && $0.resolution <= maxResolution }
        let resolutions = Set(overlapping.map(\.resolution)).sorted(by: >)
        var chosen: [BlockMeta] = []
        var covered: [(Int64, Int64)] = []  // half-open [a, b), merged
        for r in resolutions {
            let level = overlapping.filter { $0.resolution == r }
            for m in level where !isCovered(m.minTime, m.maxTime, by: covered) { chosen.append(m) }
            for m in level { covered = add((m.minTime, m.maxTime), to: covered) }
        }
        return chosen.sorted { $0.minTime != $1.minTime ? $0.minTime < $1.minTime : $0.resolution > $1.resolution }
    }

    static func isCovered(_ a: Int64, _ b: Int64, by ranges: [(Int64, Int64)]) -> Bool {
        ranges.contains { $0.0 <= a && $0.1 >= b }
    }

    static func add(_ r: (Int64, Int64), to ranges: [(Int64, Int64)]) -> [(Int64, Int64)] {
        var all = ranges + [r]
        all.sort { $0.0 < $1.0 }
        var out: [(Int64, Int64)] = []
        for x in all {
            if let last = out.last, x.0 <= last.1 { out[out.count - 1].1 = max(last.1, x.1) } else { out.append(x) }
        }
        return out
    }
}
