/// One of `total` disjoint parts of a query's series (vertical query sharding; the Store API's
/// `ShardInfo`, Thanos's `ShardMatcher`): a series belongs to shard `index` when the XXH64 of
/// its chosen labels, modulo `total`, is `index`. With `by`, the chosen labels are `labels`;
/// without, every label except `labels`. The query frontend picks labels that every group of
/// the query shares, so each output series is computed whole inside one shard.
public struct SeriesShard: Sendable, Equatable {
    public var index: Int
    public var total: Int
    public var by: Bool
    public var labels: Set<String>

    public init(index: Int, total: Int, by: Bool, labels: Set<String>) {
        self.index = index
        self.total = total
        self.by = by
        self.labels = labels
    }

    /// Whether the series with `series` labels (external labels included) is in this shard.
    public func contains(_ series: Labels) -> Bool {
        guard total > 1 else { return true }
        let h = series.hash(where: { by == labels.contains($0) })
        return h % UInt64(total) == UInt64(index)
    }

    /// The same shard with `more` labels kept out of the hash: a querier leaves out its replica
    /// labels so that the replicas of one series, merged before evaluation, stay in one shard.
    /// (A `by` set left empty hashes every series alike: one shard gets them all, still exact.)
    public func excluding(_ more: [String]) -> SeriesShard {
        var s = self
        if by { s.labels.subtract(more) } else { s.labels.formUnion(more) }
        return s
    }
}
