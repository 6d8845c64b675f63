import StrataCore
import StrataStoreAPI
import StrataTSDB

/// A Series request as every block-backed store reads it — matchers, time range, shard —
/// with the choices they share: which blocks answer, which matchers each block still needs,
/// and what one of a block's series contributes. `LocalBlockStore` and `BucketStore` both
/// select through it, so the rules live in one place.
struct SeriesQuery {
    let matchers: [Matcher]
    let minTime: Int64
    let maxTime: Int64
    let shard: SeriesShard?
    let maxResolution: Int64

    /// `minTime`/`maxTime` narrow the request's range (a gateway's `--min-time`/`--max-time`).
    init(_ request: Thanos_SeriesRequest, minTime: Int64 = .min, maxTime: Int64 = .max) throws {
        matchers = try storeMatchers(request.matchers)
        guard !matchers.isEmpty else { throw StoreError.invalidArgument("no matchers specified (excluded external labels)") }
        self.minTime = max(request.minTime, minTime)
        self.maxTime = min(request.maxTime, maxTime)
        shard = request.seriesShard
        maxResolution = request.maxResolutionWindow
    }

    /// The blocks that answer, in time order: the resolution `ResolutionPlanner` picks.
    func blocks<B>(_ all: [B], meta: (B) -> BlockMeta) -> [B] {
        var byID: [ULID: B] = [:]
        for b in all where byID[meta(b).ulid] == nil { byID[meta(b).ulid] = b }
        return ResolutionPlanner.choose(all.map(meta), minTime: minTime, maxTime: maxTime, maxResolution: maxResolution)
            .compactMap { byID[$0.ulid] }
    }

    /// The series as the Store API shows it: its labels with the block's external labels and
    /// its chunks overlapping the range; nil when none overlap or another shard owns it (so
    /// its chunks are never read).
    func select(_ s: BlockSeries, external: Labels) -> (labels: Labels, chunks: [ChunkMeta])? {
        let overlaps = { (c: ChunkMeta) in c.maxTime >= minTime && c.minTime <= maxTime }
        // Usually every chunk overlaps: then the series' own array is kept, not copied.
        let chunks = s.chunks.allSatisfy(overlaps) ? s.chunks : s.chunks.filter(overlaps)
        if chunks.isEmpty { return nil }
        let labels = s.labels.merging(external)
        if let shard, !shard.contains(labels) { return nil }
        return (labels, chunks)
    }
}

/// A request's matchers; a malformed one is the client's error.
func storeMatchers(_ proto: [Thanos_LabelMatcher]) throws -> [Matcher] {
    do { return try proto.matchers() } catch { throw StoreError.invalidArgument("\(error)") }
}
