import StrataCore
import StrataPromQL

/// Deduplication of HA replicas: series that differ only in replica labels (e.g. `replica`)
/// are one series scraped twice; the querier drops those labels and merges the copies.
public enum Dedup {
    public enum Algorithm: String, Sendable, CaseIterable {
        /// Thanos's default: follow one replica and switch only when it has a gap, with a
        /// penalty that keeps the merged series from sampling faster than either replica.
        case penalty
        /// Union of all samples by timestamp (for replicas that are exact copies, e.g. receive).
        case chain
    }

    /// Groups `series` by their labels without `replicaLabels` and merges each group; the
    /// result is sorted by labels. `counter` selects the counter-aware merge (see `penalty`).
    public static func deduplicate(_ series: [StorageSeries], replicaLabels: Set<String>, algorithm: Algorithm,
                                   counter: Bool) -> [StorageSeries] {
        var groups: [Labels: [StorageSeries]] = [:]
        for s in series { groups[s.labels.removing(replicaLabels), default: []].append(s) }
        var out: [StorageSeries] = []
        out.reserveCapacity(groups.count)
        for (labels, members) in groups {
            let ordered = members.sorted { $0.labels < $1.labels }
            var merged = ordered[0].samples
            var hists = ordered[0].histograms
            for m in ordered.dropFirst() {
                switch algorithm {
                case .penalty:
                    merged = penalty(merged, m.samples, counter: counter)
                    hists = penalty(hists, m.histograms)
                case .chain:
                    merged = SeriesMerge.chain(merged, m.samples)
                    hists = SeriesMerge.chain(hists, m.histograms)
                }
            }
            out.append(StorageSeries(labels: labels, samples: merged, histograms: hists))
        }
        out.sort { $0.labels < $1.labels }
        return out
    }

    /// The penalty used when the previous sample interval is not known yet: scrape timestamps
    /// of replicas differ by well under 5 s (Thanos's constant).
    static let initialPenalty: Int64 = 5000

    /// Merges two replicas of one series with Thanos's penalty algorithm: take the earlier
    /// sample of the two, and push the replica not taken back by twice the last interval, so
    /// the output follows one replica and switches only across a gap.
    ///
    /// With `counter` (rate, increase, irate, resets) a switch must not create a counter
    /// reset that never happened: replicas scrape at different moments, so the replica
    /// switched to may be slightly behind. On a switch its values are lifted to continue from
    /// the last value emitted (as Thanos does). Unlike Thanos (issue #2890 and friends) a
    /// real reset is still kept: when the replica's own sample from the moment of the switch
    /// is higher than its current one and no reset has been emitted since, the counter did
    /// restart, and the raw value is emitted so PromQL counts the reset once.
    public static func penalty(_ a: SampleColumns, _ b: SampleColumns, counter: Bool) -> SampleColumns {
        if a.count == 0 { return b }
        if b.count == 0 { return a }
        let reps = [a, b]
        var ts: [Int64] = [], vs: [Double] = []
        ts.reserveCapacity(max(a.count, b.count))
        vs.reserveCapacity(max(a.count, b.count))
        var adjust = CounterAdjust()
        penaltySelect(a.timestamps, b.timestamps) { use, i, previousT in
            let rep = reps[use]
            ts.append(rep.timestamps[i])
            vs.append(counter ? adjust.next(replica: use, rep, i, previousT: previousT) : rep.values[i])
        }
        return SampleColumns(timestamps: ts, values: vs)
    }

    /// The penalty merge of two replicas of a native histogram series. Histogram counters
    /// are not lifted across a switch: a histogram's reset is judged bucket by bucket, and
    /// the samples are taken as they are.
    public static func penalty(_ a: HistogramColumns, _ b: HistogramColumns) -> HistogramColumns {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        let reps = [a, b]
        var out = HistogramColumns()
        penaltySelect(a.timestamps, b.timestamps) { use, i, _ in
            out.timestamps.append(reps[use].timestamps[i])
            out.histograms.append(reps[use].histograms[i])
        }
        return out
    }

    /// The sample choice of the penalty algorithm over two replicas' timestamps: calls
    /// `take(replica, index, previousT)` for each sample of the merged series in order.
    static func penaltySelect(_ a: [Int64], _ b: [Int64], _ take: (Int, Int, Int64) -> Void) {
        let reps = [a, b]
        var pos = [0, 0]
        var pen: [Int64] = [0, 0]
        var alive = [true, true]
        var lastT = Int64.min
        var lastInterval: Int64 = 0
        // First sample after lastT of each replica, ignoring penalties.
        var next = [0, 0]
        while true {
            for r in 0..<2 where alive[r] {
                next[r] = seek(reps[r], from: next[r], lastT &+ 1)
                pos[r] = seek(reps[r], from: max(pos[r], next[r]), lastT &+ 1 &+ pen[r])
                alive[r] = pos[r] < reps[r].count
            }
            // Once one replica has ended it cannot interleave with the other any more, so the
            // survivor skips only a near-duplicate of the last sample (closer than half an
            // interval), not a whole penalty — Thanos drops up to two intervals there, which
            // loses samples wherever deduplicated history (no replica label) meets live replicas.
            for r in 0..<2 where next[r] < reps[r].count && next[1 - r] >= reps[1 - r].count && lastT != .min {
                let nearDuplicate = lastInterval > 0 ? lastInterval / 2 : initialPenalty
                pos[r] = seek(reps[r], from: next[r], lastT &+ 1 &+ min(pen[r], nearDuplicate))
                alive[r] = pos[r] < reps[r].count
                alive[1 - r] = false
            }
            let use: Int
            if !alive[0] && !alive[1] { break }
            if !alive[0] {
                use = 1
                pen[1] = 0
            } else if !alive[1] {
                use = 0
                pen[0] = 0
            } else {
                let ta = reps[0][pos[0]], tb = reps[1][pos[1]]
                use = ta <= tb ? 0 : 1
                let t = use == 0 ? ta : tb
                pen[1 - use] = lastT != .min ? 2 * (t - lastT) : initialPenalty
                pen[use] = 0
            }
            let i = pos[use]
            let previousT = lastT
            lastT = reps[use][i]
            if previousT != .min { lastInterval = lastT - previousT }
            take(use, i, previousT)
        }
    }

    /// First index ≥ `from` whose timestamp is ≥ `t`.
    static func seek(_ s: [Int64], from: Int, _ t: Int64) -> Int {
        var i = from
        while i < s.count && s[i] < t { i += 1 }
        return i
    }

    /// State of the counter-aware merge: the offset lifting the current replica, the last
    /// value emitted and when a reset was last emitted.
    struct CounterAdjust {
        var replica = -1
        var offset = 0.0
        var last = Double.nan
        var lastResetT = Int64.min

        /// The value to emit for sample `i` of replica `r`; `previousT` is the time of the
        /// sample emitted before it. A reset is judged against the replica's own sample
        /// nearest to `previousT` — the moment the output was at — so samples the penalty
        /// skipped cannot hide it.
        mutating func next(replica r: Int, _ rep: SampleColumns, _ i: Int, previousT: Int64) -> Double {
            let v = rep.values[i], t = rep.timestamps[i]
            if v.isNaN { return v }
            defer { replica = r }
            var prev = i - 1
            while prev >= 0 && (rep.values[prev].isNaN || rep.timestamps[prev] > previousT) { prev -= 1 }
            // Replicas scrape at different phases: the replica's sample just after the moment
            // may be closer to it than the one just before.
            var after = prev + 1
            while after < i && rep.values[after].isNaN { after += 1 }
            if after < i && (prev < 0 || rep.timestamps[after] - previousT < previousT - rep.timestamps[prev]) { prev = after }
            let out: Double
            if prev >= 0, v < rep.values[prev], lastResetT <= rep.timestamps[prev] {
                offset = 0
                out = v
            } else if r != replica, !last.isNaN {
                offset = Swift.max(0, last - v)
                out = v + offset
            } else {
                out = v + offset
            }
            if !last.isNaN && out < last { lastResetT = t }
            last = out
            return out
        }
    }
}
