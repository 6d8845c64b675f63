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

    /// A series one block holds, as the block's task hands it over.
    struct Found: Sendable {
        var labels: Labels
        var part: SeriesPart<BucketBlock>
    }

    public func series(_ request: Thanos_SeriesRequest,
                       onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        try await metrics.time("series") {
            do {
                try gate.enter()
                defer { gate.leave() }
                try await serveSeries(request, onResponse)
            } catch {
                metrics.countLimit(error)
                throw error
            }
        }
    }

    func serveSeries(_ request: Thanos_SeriesRequest,
                             _ onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        let query = try SeriesQuery(request, minTime: config.minTime, maxTime: config.maxTime)
        guard query.minTime <= query.maxTime else { return }
        let budget = RequestBudget(limits: config.limits)
        let fetcher = makeFetcher(budget)
        defer { record(budget) }
        let chosen = query.blocks(blocks, meta: \.meta)
        var warnings: [String] = []
        // What is held until sent is charged to the byte budget.
        var groups = SeriesGroups<BucketBlock>(singleBlock: chosen.count == 1)
        var parts = 0
        var collectError: Error?
        try await forEachBlock(chosen) { block in
            guard let ms = LocalBlockStore.blockMatchers(query.matchers, external: block.externalLabels) else { return [] }
            let refs = try await block.postings(ms, fetcher: fetcher)
            // Charged on the postings, before any series entry is read (like Thanos), so an
            // over-broad selector is refused without fetching its series.
            try budget.addSeries(refs.count)
            var out: [Found] = []
            for s in try await block.series(refs, fetcher: fetcher) {
                guard let (labels, chunks) = query.select(s, external: block.externalLabels) else { continue }
                out.append(Found(labels: labels, part: SeriesPart(block: block, chunks: chunks, blockMinTime: block.meta.minTime)))
            }
            return out
        } collect: { (found: [Found]) in
            guard collectError == nil else { return }
            do {
                for f in found {
                    try groups.add(f.labels, f.part) { isNew in
                        var held = 32 + f.part.chunks.count * MemoryLayout<ChunkMeta>.stride
                        if isNew { held += f.labels.pairs.reduce(64) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 } }
                        try budget.reserveHeld(held)
                    }
                    parts += 1
                }
            } catch { collectError = error }
        } failed: { warnings.append($1) }
        if let collectError { throw collectError }
        for w in warnings { try await onResponse(.warning(w)) }
        metrics.seriesFetched.increment(by: parts)
        // Sorted by labels; each series' parts by time.
        groups.sortByLabels()
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
            var data: [ULID: [ChunkRef: BucketBlock.RawChunk]] = [:]
            if !request.skipChunks {
                var refs: [ULID: (BucketBlock, [ChunkRef])] = [:]
                for k in i..<j {
                    for p in groups.entries[k].parts where !failedBlocks.contains(p.block.id) {
                        refs[p.block.id, default: (p.block, [])].1 += p.chunks.map(\.ref)
                    }
                }
                var chunkWarnings: [String] = []
                let work = refs
                try await forEachBlock(work.values.map(\.0)) { b in
                    (b.id, try await b.chunks(work[b.id]!.1, fetcher: fetcher))
                } collect: { data[$0.0] = $0.1 } failed: { id, w in
                    failedBlocks.insert(id)
                    chunkWarnings.append(w)
                }
                for w in chunkWarnings { try await onResponse(.warning(w)) }
            }
            for k in i..<j {
                var out = Thanos_Series()
                out.labels = groups.entries[k].labels.proto
                if !request.skipChunks {
                    // Parts of a block whose chunks turned out corrupt are left out (warned above).
                    let ps = groups.partsInTimeOrder(k).filter { !failedBlocks.contains($0.block.id) }
                    if ps.isEmpty { continue }
                    do {
                        for p in ps {
                            let blockData = data[p.block.id] ?? [:]
                            for c in p.chunks {
                                guard let raw = blockData[c.ref] else {
                                    throw StoreError.internal("block \(p.block.id): chunk \(c.ref) missing after fetch")
                                }
                                let a = try raw.data.withUnsafeBytes {
                                    try ChunkConversion.aggrChunk(encoding: raw.encoding, data: $0, minTime: c.minTime, maxTime: c.maxTime,
                                                                  aggregates: request.aggregates, block: p.block.id)
                                }
                                try budget.addSamples(ChunkConversion.sampleCount(a))
                                out.chunks.append(a)
                            }
                        }
                    } catch let u as UnsupportedChunkEncoding {
                        // Only this series is left out; the rest of the block is served.
                        metrics.unsupportedChunks(u.encoding).increment()
                        let w = u.warning(groups.entries[k].labels)
                        logger.warning("series left out", metadata: ["reason": .string(w)])
                        try await onResponse(.warning(w))
                        continue
                    }
                    metrics.chunksFetched.increment(by: out.chunks.count)
                }
                try await onResponse(.series(out))
            }
            // Sent series release their parts (the budget already counted them).
            for k in i..<j { groups.release(k) }
            i = j
        }
        metrics.samplesFetched.increment(by: budget.samples)
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
        var pending = blocks[...]
        let limit = max(1, config.queryBlockConcurrency)
        try await withThrowingTaskGroup(of: BlockOutcome<T>.self) { group in
            var inFlight = 0
            while true {
                while inFlight < limit, let b = pending.popFirst() {
                    inFlight += 1
                    group.addTask {
                        do { return .ok(try await body(b)) } catch let e as TSDBError { return .corrupt(b.id, "\(e)") }
                    }
                }
                guard let outcome = try await group.next() else { break }
                inFlight -= 1
                switch outcome {
                case .ok(let v): collect(v)
                case .corrupt(let id, let why):
                    metrics.blockLoadFailures.increment()
                    logger.error("corrupt block skipped in query", metadata: ["block": "\(id)", "err": "\(why)"])
                    failed(id, "block \(id) skipped: \(why)")
                }
            }
        }
    }

    enum BlockOutcome<T: Sendable>: Sendable {
        case ok(T)
        case corrupt(ULID, String)
    }
}
