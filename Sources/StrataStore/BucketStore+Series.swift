import Foundation
import Logging
import StrataCore
import StrataObjStore
import StrataStoreAPI
import StrataTSDB

/// Series: blocks chosen by resolution, postings → series → chunks with coalesced ranged
/// reads, merged by label set and streamed in batches under the request's budget.
extension BucketStore {
    // MARK: Series

    public func series(_ request: Thanos_SeriesRequest,
                       onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        try await seriesAnswers(request) { try await onResponse($0.message) }
    }

    public func seriesAnswers(_ request: Thanos_SeriesRequest,
                              onAnswer: @escaping @Sendable (SeriesAnswer) async throws -> Void) async throws {
        try await metrics.time("series") {
            do {
                try gate.enter()
                defer { gate.leave() }
                try await serveSeries(request, onAnswer)
            } catch {
                metrics.countLimit(error)
                throw error
            }
        }
    }

    func serveSeries(_ request: Thanos_SeriesRequest,
                     _ onAnswer: @escaping @Sendable (SeriesAnswer) async throws -> Void) async throws {
        let query = try SeriesQuery(request, minTime: config.minTime, maxTime: config.maxTime)
        guard query.minTime <= query.maxTime else { return }
        let budget = RequestBudget(limits: config.limits)
        let fetcher = makeFetcher(budget)
        defer { record(budget) }
        var (groups, warnings) = try await selectGroups(query, budget, fetcher)
        for w in warnings { try await onAnswer(.message(.warning(w))) }
        var failedBlocks = Set<ULID>()
        var i = 0
        while i < groups.count {
            // A batch of whole series; its chunks are fetched together (one coalesced read per
            // block), then sent.
            var j = i
            var chunksInBatch = 0
            while j < groups.count && j - i < config.seriesBatchSize && chunksInBatch < config.batchMaxChunks {
                chunksInBatch += groups.entries[j].parts.reduce(0) { $0 + $1.chunks.count }
                j += 1
            }
            var data = FetchedChunks()
            if !request.skipChunks {
                warnings = []
                data = try await fetchChunks(groups, i..<j, fetcher, failedBlocks: &failedBlocks, warnings: &warnings)
                for w in warnings { try await onAnswer(.message(.warning(w))) }
            }
            for k in i..<j {
                let labels = groups.entries[k].labels
                guard !request.skipChunks else {
                    try await onAnswer(.series(SelectedSeries(labels: labels, chunks: .messages([]))))
                    continue
                }
                // Parts of a block whose chunks turned out corrupt are left out (warned above).
                let ps = groups.partsInTimeOrder(k).filter { !failedBlocks.contains($0.block.id) }
                if ps.isEmpty { continue }
                let s: SelectedSeries
                do {
                    s = try selected(labels, try data.take(ps), aggregates: request.aggregates, budget: budget)
                } catch let u as UnsupportedChunkEncoding {
                    try await onAnswer(.message(.warning(leftOut(u, labels))))
                    continue
                }
                metrics.chunksFetched.increment(by: s.chunkCount)
                try await onAnswer(.series(s))
            }
            // Sent series release their parts (the budget already counted them).
            for k in i..<j { groups.release(k) }
            i = j
        }
        metrics.samplesFetched.increment(by: budget.samples)
    }

    /// Every block's series matching `query`, merged by label set and sorted (chunk metas only,
    /// charged to the budget); corrupt blocks are skipped with a warning.
    func selectGroups(_ query: SeriesQuery, _ budget: RequestBudget,
                      _ fetcher: RangeFetcher) async throws -> (SeriesGroups<BucketBlock>, [String]) {
        let chosen = query.blocks(blocks, meta: \.meta)
        var warnings: [String] = []
        var lists: [[SeriesGroups<BucketBlock>.Found]] = []
        try await forEachBlock(chosen) { block in
            guard let ms = LocalBlockStore.blockMatchers(query.matchers, external: block.externalLabels) else { return [] }
            let refs = try await block.postings(ms, fetcher: fetcher)
            // Charged on the postings, before any series entry is read (like Thanos), so an
            // over-broad selector is refused without fetching its series.
            try budget.addSeries(refs.count)
            var out: [SeriesGroups<BucketBlock>.Found] = []
            var held = 0
            for s in try await block.series(refs, fetcher: fetcher) {
                guard let (labels, chunks) = query.select(s, external: block.externalLabels) else { continue }
                out.append((labels, SeriesPart(block: block, chunks: chunks, blockMinTime: block.meta.minTime)))
                held += 32 + chunks.count * MemoryLayout<ChunkMeta>.stride
            }
            // What is held until sent is charged to the byte budget: chunk metas here, each
            // label set once below.
            try budget.reserveHeld(held)
            return out
        } collect: { lists.append($0) } failed: { warnings.append($1) }
        metrics.seriesFetched.increment(by: lists.reduce(0) { $0 + $1.count })
        // Sorted by labels; each series' parts by time.
        let groups = SeriesGroups(merging: lists)
        try budget.reserveHeld(groups.entries.reduce(0) { n, e in
            e.labels.pairs.reduce(n + 64) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
        })
        return (groups, warnings)
    }

    /// The chunks of entries `range` of `groups`, one coalesced read per block, blocks in
    /// parallel. A block whose chunks turn out corrupt joins `failedBlocks` with a warning;
    /// its parts are left out from then on.
    func fetchChunks(_ groups: SeriesGroups<BucketBlock>, _ range: Range<Int>, _ fetcher: RangeFetcher,
                     failedBlocks: inout Set<ULID>, warnings: inout [String]) async throws -> FetchedChunks {
        var refs: [ULID: (BucketBlock, [ChunkRef])] = [:]
        for k in range {
            for p in groups.entries[k].parts where !failedBlocks.contains(p.block.id) {
                refs[p.block.id, default: (p.block, [])].1 += p.chunks.map(\.ref)
            }
        }
        var data = FetchedChunks()
        var failed: [ULID] = []
        var newWarnings: [String] = []
        let work = refs
        try await forEachBlock(work.values.map(\.0)) { b in
            (b.id, try await b.chunks(work[b.id]!.1, fetcher: fetcher))
        } collect: { data.byBlock[$0.0] = $0.1 } failed: { id, w in
            failed.append(id)
            newWarnings.append(w)
        }
        failedBlocks.formUnion(failed)
        warnings += newWarnings
        return data
    }

    /// One series and its chunks (its parts in time order, see `FetchedChunks.take`), their
    /// samples charged to the budget: raw XOR chunks as slices of the fetched bytes when all
    /// are and none overlaps the next, else `AggrChunk`s (`UnsupportedChunkEncoding` for a
    /// chunk that cannot be served).
    func selected(_ labels: Labels, _ records: [FetchedChunks.Part], aggregates: [Thanos_Aggr],
                  budget: RequestBudget) throws -> SelectedSeries {
        if let xor = try xorChunks(records, budget: budget) { return SelectedSeries(labels: labels, chunks: .xor(xor)) }
        return SelectedSeries(labels: labels, chunks: .messages(try aggrChunks(records, aggregates: aggregates, budget: budget)))
    }

    /// One series' chunks (its parts in time order, see `FetchedChunks.take`) as the Store API sends them, their
    /// samples charged to the budget.
    func aggrChunks(_ records: [FetchedChunks.Part], aggregates: [Thanos_Aggr],
                    budget: RequestBudget) throws -> [Thanos_AggrChunk] {
        var out: [Thanos_AggrChunk] = []
        for (p, records) in records {
            for (c, raw) in zip(p.chunks, records) {
                let a = try raw.data.withUnsafeBytes {
                    try ChunkConversion.aggrChunk(encoding: raw.encoding, data: $0, minTime: c.minTime, maxTime: c.maxTime,
                                                  aggregates: aggregates, block: p.block.id)
                }
                try budget.addSamples(ChunkConversion.sampleCount(a))
                out.append(a)
            }
        }
        return out
    }

    /// A series left out for a chunk it cannot serve (the rest of the block is served):
    /// counted, logged, and the warning to send.
    func leftOut(_ u: UnsupportedChunkEncoding, _ labels: Labels) -> String {
        metrics.unsupportedChunks(u.encoding).increment()
        let w = u.warning(labels)
        logger.warning("series left out", metadata: ["reason": .string(w)])
        return w
    }

    func makeFetcher(_ budget: RequestBudget) -> RangeFetcher {
        var f = RangeFetcher(bucket: bucket, budget: budget)
        f.maxGap = config.fetchMaxGap
        return f
    }

    func record(_ budget: RequestBudget) {
        metrics.bytesFetched.increment(by: budget.bytesFetched)
        metrics.bucketRequests.increment(by: budget.requests)
        metrics.requestsPerQuery.record(budget.requests)
    }

    /// Runs `body` over blocks, `queryBlockConcurrency` at a time, handing results to
    /// `collect` in completion order. A block whose data is corrupt (a TSDB decoding error)
    /// is logged, counted, reported through `failed` and skipped, so one bad block does not
    /// fail every query; limits and bucket errors fail the request.
    func forEachBlock<T: Sendable>(_ blocks: [BucketBlock], _ body: @escaping @Sendable (BucketBlock) async throws -> T,
                                           collect: (T) -> Void, failed: (ULID, String) -> Void) async throws {
        @Sendable func run(_ b: BucketBlock) async throws -> BlockOutcome<T> {
            do { return .ok(try await body(b)) } catch let e as TSDBError { return .corrupt(b.id, "\(e)") }
        }
        func take(_ outcome: BlockOutcome<T>) {
            switch outcome {
            case .ok(let v): collect(v)
            case .corrupt(let id, let why):
                metrics.blockLoadFailures.increment()
                logger.error("corrupt block skipped in query", metadata: ["block": "\(id)", "err": "\(why)"])
                failed(id, "block \(id) skipped: \(why)")
            }
        }
        // One block (a recent instant, say) in the calling task: a child task is two hops
        // between threads.
        if blocks.count == 1 { return take(try await run(blocks[0])) }
        var pending = blocks[...]
        let limit = max(1, config.queryBlockConcurrency)
        try await withThrowingTaskGroup(of: BlockOutcome<T>.self) { group in
            var inFlight = 0
            while true {
                while inFlight < limit, let b = pending.popFirst() {
                    inFlight += 1
                    // On the cores, not the wire call's event loop (`EventLoopExecutor`).
                    group.addTask(executorPreference: globalConcurrentExecutor) { try await run(b) }
                }
                guard let outcome = try await group.next() else { break }
                inFlight -= 1
                take(outcome)
            }
        }
    }

    enum BlockOutcome<T: Sendable>: Sendable {
        case ok(T)
        case corrupt(ULID, String)
    }
}

/// Chunk records of a run of series, fetched per block in the order the series hold them
/// (`BucketBlock.chunks`): the series must be read back in the order they were fetched, each
/// exactly once, so a block's records are consumed front to back without any lookup.
struct FetchedChunks {
    /// One part of a series and its chunk records, in the part's order.
    typealias Part = (part: SeriesPart<BucketBlock>, records: ArraySlice<BucketBlock.RawChunk>)

    var byBlock: [ULID: [BucketBlock.RawChunk]] = [:]
    private var next: [ULID: Int] = [:]

    /// The records of every part of one series. All parts are taken before anything can
    /// fail, so that a series left out does not shift the next one's records.
    mutating func take(_ parts: [SeriesPart<BucketBlock>]) throws -> [Part] {
        try parts.map { p in
            let id = p.block.id
            let at = next[id, default: 0]
            guard let all = byBlock[id], at + p.chunks.count <= all.count else {
                throw StoreError.internal("block \(id): \(p.chunks.count) chunks missing after fetch")
            }
            next[id] = at + p.chunks.count
            return (p, all[at..<(at + p.chunks.count)])
        }
    }
}
