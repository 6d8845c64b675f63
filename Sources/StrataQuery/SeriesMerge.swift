import StrataPromQL

/// Merging of sample columns that belong to one series.
public enum SeriesMerge {
    /// The sorted union of two sample columns; at equal timestamps `a`'s sample is kept.
    /// Used for the same series answered by several stores (e.g. a sidecar and a store
    /// gateway both holding the last uploaded block) and for overlapping chunks.
    public static func chain(_ a: SampleColumns, _ b: SampleColumns) -> SampleColumns {
        let (ts, vs) = union(a.timestamps, a.values, b.timestamps, b.values)
        return SampleColumns(timestamps: ts, values: vs)
    }

    /// The same union for native histogram samples.
    public static func chain(_ a: HistogramColumns, _ b: HistogramColumns) -> HistogramColumns {
        let (ts, hs) = union(a.timestamps, a.histograms, b.timestamps, b.histograms)
        return HistogramColumns(timestamps: ts, histograms: hs)
    }

    @inline(__always)
    static func union<V>(_ at: [Int64], _ av: [V], _ bt: [Int64], _ bv: [V]) -> ([Int64], [V]) {
        if bt.isEmpty { return (at, av) }
        if at.isEmpty { return (bt, bv) }
        if at[at.count - 1] < bt[0] { return (at + bt, av + bv) }
        if bt[bt.count - 1] < at[0] { return (bt + at, bv + av) }
        var ts: [Int64] = []
        var vs: [V] = []
        ts.reserveCapacity(at.count + bt.count)
        vs.reserveCapacity(at.count + bt.count)
        var i = 0, j = 0
        while i < at.count || j < bt.count {
            if j >= bt.count || (i < at.count && at[i] <= bt[j]) {
                if j < bt.count && at[i] == bt[j] { j += 1 }
                ts.append(at[i])
                vs.append(av[i])
                i += 1
            } else {
                ts.append(bt[j])
                vs.append(bv[j])
                j += 1
            }
        }
        return (ts, vs)
    }
}
