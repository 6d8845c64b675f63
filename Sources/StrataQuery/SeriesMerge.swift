import StrataPromQL

/// Merging of sample columns that belong to one series.
public enum SeriesMerge {
    /// The sorted union of two sample columns; at equal timestamps `a`'s sample is kept.
    /// Used for the same series answered by several stores (e.g. a sidecar and a store
    /// gateway both holding the last uploaded block) and for overlapping chunks.
    public static func chain(_ a: SampleColumns, _ b: SampleColumns) -> SampleColumns {
        if b.count == 0 { return a }
        if a.count == 0 { return b }
        if a.timestamps[a.count - 1] < b.timestamps[0] {
            return SampleColumns(timestamps: a.timestamps + b.timestamps, values: a.values + b.values)
        }
        if b.timestamps[b.count - 1] < a.timestamps[0] {
            return SampleColumns(timestamps: b.timestamps + a.timestamps, values: b.values + a.values)
        }
        var ts: [Int64] = []
        var vs: [Double] = []
        ts.reserveCapacity(a.count + b.count)
        vs.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j >= b.count || (i < a.count && a.timestamps[i] <= b.timestamps[j]) {
                if j < b.count && a.timestamps[i] == b.timestamps[j] { j += 1 }
                ts.append(a.timestamps[i])
                vs.append(a.values[i])
                i += 1
            } else {
                ts.append(b.timestamps[j])
                vs.append(b.values[j])
                j += 1
            }
        }
        return SampleColumns(timestamps: ts, values: vs)
    }
}
