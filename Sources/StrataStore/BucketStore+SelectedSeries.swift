import StrataCore
import StrataStoreAPI
import StrataTSDB

/// The selection of a Series request for a query pushed down to this gateway: the same
/// blocks, series, limits and warnings as `series`, but raw XOR chunks stay slices of the
/// fetched ranges (no `AggrChunk` built, copied and read back per chunk), and every chunk is
/// fetched in one round, blocks in parallel: the engine holds all selected series anyway.
extension BucketStore: LocalSeriesSource {
    public func selectedSeries(_ request: Thanos_SeriesRequest) async throws -> (series: [SelectedSeries], warnings: [String]) {
        try await metrics.time("series") {
            do {
                try gate.enter()
                defer { gate.leave() }
                return try await select(request)
            } catch {
                metrics.countLimit(error)
                throw error
            }
        }
    }

    func select(_ request: Thanos_SeriesRequest) async throws -> (series: [SelectedSeries], warnings: [String]) {
        let query = try SeriesQuery(request, minTime: config.minTime, maxTime: config.maxTime)
        guard query.minTime <= query.maxTime else { return ([], []) }
        let budget = RequestBudget(limits: config.limits)
        let fetcher = makeFetcher(budget)
        defer { record(budget) }
        var (groups, warnings) = try await selectGroups(query, budget, fetcher)
        var failedBlocks = Set<ULID>()
        var data = try await fetchChunks(groups, 0..<groups.count, fetcher, failedBlocks: &failedBlocks, warnings: &warnings)
        var out: [SelectedSeries] = []
        out.reserveCapacity(groups.count)
        var chunks = 0
        for k in 0..<groups.count {
            let ps = groups.partsInTimeOrder(k).filter { !failedBlocks.contains($0.block.id) }
            if ps.isEmpty { continue }
            let labels = groups.entries[k].labels
            groups.release(k)
            do {
                let s = try selected(labels, try data.take(ps), aggregates: request.aggregates, budget: budget)
                chunks += s.chunkCount
                out.append(s)
            } catch let u as UnsupportedChunkEncoding {
                warnings.append(leftOut(u, labels))
            }
        }
        metrics.chunksFetched.increment(by: chunks)
        metrics.samplesFetched.increment(by: budget.samples)
        return (out, warnings)
    }

    /// The series' chunks as byte slices when all are raw XOR, in time order and none
    /// overlapping the next; nil otherwise (nothing charged then).
    func xorChunks(_ records: [FetchedChunks.Part],
                   budget: RequestBudget) throws -> [RawXORChunk<ArraySlice<UInt8>>]? {
        var out: [RawXORChunk<ArraySlice<UInt8>>] = []
        out.reserveCapacity(records.reduce(0) { $0 + $1.records.count })
        var prevMax = Int64.min
        var samples = 0
        for (p, chunks) in records {
            for (c, raw) in zip(p.chunks, chunks) {
                guard raw.encoding == ChunkEncoding.xor.rawValue, prevMax == .min || c.minTime > prevMax else { return nil }
                prevMax = c.maxTime
                samples += Int(raw.header)
                out.append(RawXORChunk(minTime: c.minTime, maxTime: c.maxTime, data: raw.data))
            }
        }
        try budget.addSamples(samples)
        return out
    }
}
