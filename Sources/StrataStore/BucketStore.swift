import Foundation
import Logging
import StrataBucket
import StrataCore
import StrataObjStore
import StrataStoreAPI
import StrataTSDB
import Synchronization

/// The store gateway's Store API over the blocks of a bucket (Thanos's `BucketStore`).
///
/// `sync` lists the bucket once, reads new meta.json files (cached in the data dir, so a
/// restart re-reads none), keeps the complete blocks that pass the time, deletion-mark and
/// relabel filters, and builds an index-header for each new one from ranged reads (kept in
/// the data dir too). Queries then read postings, series entries and chunks with coalesced
/// ranged GETs, under the request's `StoreLimits`.
public final class BucketStore: StoreClient {
    public struct Config: Sendable {
        public var dataDir: String
        /// `--min-time` / `--max-time`: only blocks overlapping this range are served, and
        /// only chunks inside it.
        public var minTime: Int64 = .min
        public var maxTime: Int64 = .max
        public var relabel = BlockRelabel()
        /// `--ignore-deletion-marks-delay` in seconds: a block marked for deletion longer ago
        /// is no longer served (the compactor may delete it any moment).
        public var ignoreDeletionMarksDelay: Double = 24 * 3600
        public var limits = StoreLimits()
        /// Index-headers built at once during a sync.
        public var blockSyncConcurrency = 20
        /// Blocks read at once by one query.
        public var queryBlockConcurrency = 4
        /// Chunks are fetched and sent batch by batch: a batch is whole series, at most this
        /// many, and stops growing once it holds `batchMaxChunks` chunks. Bigger batches
        /// mean fewer GETs (each batch reads each block once, coalesced) but more memory held.
        public var seriesBatchSize = 4096
        public var batchMaxChunks = 65_536
        /// Ranges of one object closer than this are read with one GET (fewer requests
        /// against a few wasted bytes; object stores charge per request).
        public var fetchMaxGap: Int64 = 32 << 10
        /// Postings and series cache shared by all blocks (nil: none).
        public var indexCache: (any IndexCache)?

        public init(dataDir: String) { self.dataDir = dataDir }
    }

    public let name: String
    let bucket: any Bucket
    let config: Config
    let logger: Logger
    public let metrics: StoreMetrics
    let gate: ConcurrencyGate
    private let state = Mutex<[ULID: BucketBlock]>([:])
    private let syncedOnce = Mutex(false)

    public init(name: String = "bucket", bucket: any Bucket, config: Config, logger: Logger = Logger(label: "store"),
                metrics: StoreMetrics = StoreMetrics()) {
        self.name = name
        self.bucket = bucket
        self.config = config
        self.logger = logger
        self.metrics = metrics
        self.gate = ConcurrencyGate(limit: config.limits.seriesMaxConcurrency)
    }

    /// True once a sync has completed (the gateway is ready then).
    public var isSynced: Bool { syncedOnce.withLock { $0 } }

    /// The blocks served now, sorted by (minTime, ULID).
    public var loadedBlocks: [BlockMeta] {
        state.withLock { Array($0.values) }.map(\.meta).sorted { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
    }

    var blocks: [BucketBlock] { state.withLock { Array($0.values) } }

    // MARK: sync

    public struct SyncResult: Sendable {
        public var loaded: [ULID] = []
        public var dropped: [ULID] = []
        public var failed: [ULID: String] = [:]
    }

    var metaCacheDir: String { config.dataDir + "/meta-syncer" }

    public func sync() async throws -> SyncResult {
        do {
            let r = try await syncOnce()
            metrics.syncs.increment()
            syncedOnce.withLock { $0 = true }
            return r
        } catch {
            metrics.syncFailures.increment()
            throw error
        }
    }

    private func syncOnce() async throws -> SyncResult {
        let fetcher = BlockMetaFetcher(bucket: bucket, logger: logger, metaCacheDir: metaCacheDir)
        let snap = try await fetcher.fetch(readMarkers: true, readNoCompactMarks: false)
        var result = SyncResult()
        for (id, why) in snap.corrupted {
            metrics.blockLoadFailures.increment()
            result.failed[id] = why
        }
        let wanted = snap.visible(ignoringDeletedOlderThan: config.ignoreDeletionMarksDelay).filter { m in
            m.maxTime > config.minTime && m.minTime <= config.maxTime
                && config.relabel.keeps(externalLabels: m.externalLabels, blockID: m.ulid.description)
        }
        let current = state.withLock { $0 }
        let toLoad = wanted.filter { current[$0.ulid] == nil }
        var loaded: [BucketBlock] = []
        var pending = toLoad[...]
        let limit = max(1, config.blockSyncConcurrency)
        await withTaskGroup(of: LoadOutcome.self) { group in
            var inFlight = 0
            while true {
                while inFlight < limit, let m = pending.popFirst() {
                    inFlight += 1
                    group.addTask {
                        do { return .loaded(try await self.loadBlock(m)) } catch { return .failed(m.ulid, "\(error)") }
                    }
                }
                guard let outcome = await group.next() else { break }
                inFlight -= 1
                switch outcome {
                case .loaded(let b):
                    loaded.append(b)
                    metrics.blockLoads.increment()
                case .failed(let id, let why):
                    metrics.blockLoadFailures.increment()
                    result.failed[id] = why
                    logger.error("cannot load block, skipping it", metadata: ["block": "\(id)", "err": "\(why)"])
                }
            }
        }
        try Task.checkCancellation()
        let wantedIDs = Set(wanted.map(\.ulid))
        result.loaded = loaded.map(\.id).sorted()
        result.dropped = current.keys.filter { !wantedIDs.contains($0) }.sorted()
        let count = state.withLock { s -> Int in
            for id in result.dropped { s[id] = nil }
            for b in loaded { s[b.id] = b }
            return s.count
        }
        metrics.blockDrops.increment(by: result.dropped.count)
        metrics.blocksLoaded.record(count)
        pruneDataDir(keep: Set(snap.metas.keys).union(snap.partial).union(snap.corrupted.keys))
        logger.info("synced blocks", metadata: ["loaded": "\(count)", "new": "\(result.loaded.count)",
                                                "dropped": "\(result.dropped.count)", "failed": "\(result.failed.count)"])
        return result
    }

    enum LoadOutcome: Sendable {
        case loaded(BucketBlock)
        case failed(ULID, String)
    }

    /// The block with its index-header: the one in the data dir, or one built from ranged
    /// reads of the index and persisted there.
    func loadBlock(_ meta: BlockMeta) async throws -> BucketBlock {
        let dir = config.dataDir + "/" + meta.ulid.description
        if let h = IndexHeader.load(dir: dir) { return BucketBlock(meta: meta, header: h, cache: config.indexCache) }
        let key = BlockLayout.key(meta.ulid, BlockLayout.index)
        let size: Int64
        if let s = meta.thanos?.files.first(where: { $0.relPath == BlockLayout.index })?.sizeBytes, s > 0 {
            size = s
        } else {
            size = try await bucket.attributes(key).size
        }
        let (header, bytes) = try await IndexHeader.build(bucket: bucket, key: key, indexSize: size)
        try IndexHeader.persist(bytes, dir: dir)
        return BucketBlock(meta: meta, header: header, cache: config.indexCache)
    }

    /// Removes local state (index-headers, cached meta.json) of blocks gone from the bucket.
    func pruneDataDir(keep: Set<ULID>) {
        for parent in [config.dataDir, metaCacheDir] {
            for n in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                guard let id = try? ULID(parsing: n), !keep.contains(id) else { continue }
                try? FileManager.default.removeItem(atPath: parent + "/" + n)
            }
        }
    }

    // MARK: Info

    public func info() async throws -> Thanos_Info_InfoResponse {
        let metas = loadedBlocks
        var r = Thanos_Info_InfoResponse()
        r.componentType = "store"
        var sets: [Labels] = []
        for m in metas where !sets.contains(m.externalLabels) { sets.append(m.externalLabels) }
        sets.sort { Labels.compare($0, $1) < 0 }
        r.labelSets = sets.map { s in
            var z = Thanos_ZLabelSet()
            z.labels = s.proto
            return z
        }
        var s = Thanos_Info_StoreInfo()
        if metas.isEmpty {
            s.minTime = .max
            s.maxTime = .min
        } else {
            s.minTime = max(metas.map(\.minTime).min()!, config.minTime)
            s.maxTime = min(metas.map(\.maxTime).max()! - 1, config.maxTime)
        }
        r.store = s
        return r
    }

    // MARK: Series

    struct Found: Sendable {
        var labels: Labels
        var block: BucketBlock
        var chunks: [ChunkMeta]
    }

    /// The chunks one block holds for a series.
    struct Part {
        var block: BucketBlock
        var chunks: [ChunkMeta]
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

    func parseMatchers(_ proto: [Thanos_LabelMatcher]) throws -> [Matcher] {
        do { return try proto.matchers() } catch { throw StoreError.invalidArgument("\(error)") }
    }

    private func serveSeries(_ request: Thanos_SeriesRequest,
                             _ onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        let matchers = try parseMatchers(request.matchers)
        guard !matchers.isEmpty else { throw StoreError.invalidArgument("no matchers specified (excluded external labels)") }
        let mint = max(request.minTime, config.minTime), maxt = min(request.maxTime, config.maxTime)
        guard mint <= maxt else { return }
        let budget = RequestBudget(limits: config.limits)
        let fetcher = makeFetcher(budget)
        defer { record(budget) }
        let all = blocks
        let byID = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let chosen = ResolutionPlanner.choose(all.map(\.meta), minTime: mint, maxTime: maxt,
                                              maxResolution: request.maxResolutionWindow).compactMap { byID[$0.ulid] }
        var warnings: [String] = []
        // One entry per label set, holding its parts from every block: a series spanning 85
        // blocks keeps one copy of its labels. What is held is charged to the byte budget.
        var groups: [Labels: [Part]] = [:]
        var parts = 0
        var collectError: Error?
        try await forEachBlock(chosen) { block in
            guard let ms = LocalBlockStore.blockMatchers(matchers, external: block.externalLabels) else { return [] }
            let refs = try await block.postings(ms, fetcher: fetcher)
            // Charged on the postings, before any series entry is read (like Thanos), so an
            // over-broad selector is refused without fetching its series.
            try budget.addSeries(refs.count)
            var out: [Found] = []
            for s in try await block.series(refs, fetcher: fetcher) {
                let chunks = s.chunks.filter { $0.maxTime >= mint && $0.minTime <= maxt }
                if chunks.isEmpty { continue }
                out.append(Found(labels: s.labels.merging(block.externalLabels), block: block, chunks: chunks))
            }
            return out
        } collect: { (found: [Found]) in
            guard collectError == nil else { return }
            do {
                for f in found {
                    var held = 32 + f.chunks.count * MemoryLayout<ChunkMeta>.stride
                    if groups[f.labels] == nil { held += f.labels.pairs.reduce(64) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 } }
                    try budget.reserveHeld(held)
                    groups[f.labels, default: []].append(Part(block: f.block, chunks: f.chunks))
                    parts += 1
                }
            } catch { collectError = error }
        } failed: { warnings.append($1) }
        if let collectError { throw collectError }
        for w in warnings { try await onResponse(.warning(w)) }
        metrics.seriesFetched.increment(by: parts)
        // Sorted by labels; each series' parts by time.
        let keys = groups.keys.sorted { Labels.compare($0, $1) < 0 }
        var failedBlocks = Set<ULID>()
        var i = 0
        while i < keys.count {
            // A batch of whole series; its chunks are fetched together (one coalesced read per
            // block), then sent.
            var j = i
            var chunksInBatch = 0
            while j < keys.count && j - i < config.seriesBatchSize && chunksInBatch < config.batchMaxChunks {
                chunksInBatch += groups[keys[j]]!.reduce(0) { $0 + $1.chunks.count }
                j += 1
            }
            var data: [ULID: [ChunkRef: BucketBlock.RawChunk]] = [:]
            if !request.skipChunks {
                var refs: [ULID: (BucketBlock, [ChunkRef])] = [:]
                for k in keys[i..<j] {
                    for p in groups[k]! where !failedBlocks.contains(p.block.id) {
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
            for k in keys[i..<j] {
                var out = Thanos_Series()
                out.labels = k.proto
                if !request.skipChunks {
                    // Parts of a block whose chunks turned out corrupt are left out (warned above).
                    let ps = groups[k]!.filter { !failedBlocks.contains($0.block.id) }.sorted { $0.block.meta.minTime < $1.block.meta.minTime }
                    if ps.isEmpty { continue }
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
                    metrics.chunksFetched.increment(by: out.chunks.count)
                }
                try await onResponse(.series(out))
            }
            for k in keys[i..<j] { groups[k] = nil }
            i = j
        }
        metrics.samplesFetched.increment(by: budget.samples)
    }

    private func makeFetcher(_ budget: RequestBudget) -> RangeFetcher {
        var f = RangeFetcher(bucket: bucket, budget: budget)
        f.maxGap = config.fetchMaxGap
        return f
    }

    private func record(_ budget: RequestBudget) {
        metrics.bytesFetched.increment(by: budget.bytesFetched)
        metrics.bucketRequests.increment(by: budget.requests)
        metrics.requestsPerQuery.record(budget.requests)
    }

    /// Runs `body` over blocks, `queryBlockConcurrency` at a time, handing results to
    /// `collect` in completion order. A block whose data is corrupt (a TSDB decoding error)
    /// is logged, counted, reported through `failed` and skipped, so one bad block does not
    /// fail every query; limits and bucket errors fail the request.
    private func forEachBlock<T: Sendable>(_ blocks: [BucketBlock], _ body: @escaping @Sendable (BucketBlock) async throws -> T,
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

    // MARK: label names and values

    /// Blocks overlapping `[start, end]` with their matchers left after external labels.
    private func labelBlocks(_ start: Int64, _ end: Int64, _ ms: [Matcher]) -> [(BucketBlock, [Matcher])] {
        let lo = max(start, config.minTime), hi = min(end, config.maxTime)
        return blocks.filter { $0.meta.minTime <= hi && $0.meta.maxTime > lo }.compactMap { b in
            LocalBlockStore.blockMatchers(ms, external: b.externalLabels).map { (b, $0) }
        }
    }

    /// Label sets of series matching `ms` in `block` with data in `[start, end]`.
    private func matchingLabels(_ block: BucketBlock, _ ms: [Matcher], _ start: Int64, _ end: Int64,
                                fetcher: RangeFetcher) async throws -> [Labels] {
        let refs = try await block.postings(ms, fetcher: fetcher)
        return try await block.series(refs, fetcher: fetcher)
            .filter { s in s.chunks.contains { $0.maxTime >= start && $0.minTime <= end } }.map(\.labels)
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse {
        try await metrics.time("label_names") {
            let ms = try parseMatchers(request.matchers)
            let budget = RequestBudget(limits: config.limits)
            let fetcher = makeFetcher(budget)
            defer { record(budget) }
            var names = Set<String>()
            var warnings: [String] = []
            let work = labelBlocks(request.start, request.end, ms)
            try await forEachBlock(work.map(\.0)) { [start = request.start, end = request.end] b -> [String] in
                let bm = LocalBlockStore.blockMatchers(ms, external: b.externalLabels) ?? []
                var n = Set(b.externalLabels.pairs.map(\.name))
                if bm.isEmpty {
                    n.formUnion(b.header.labelNames)
                } else {
                    for l in try await self.matchingLabels(b, bm, start, end, fetcher: fetcher) { n.formUnion(l.pairs.map(\.name)) }
                    if n.count == b.externalLabels.count { return [] }
                }
                return Array(n)
            } collect: { names.formUnion($0) } failed: { warnings.append($1) }
            var r = Thanos_LabelNamesResponse()
            r.names = names.sorted(by: bytewiseLess)
            r.warnings = warnings
            return r
        }
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse {
        try await metrics.time("label_values") {
            let ms = try parseMatchers(request.matchers)
            let budget = RequestBudget(limits: config.limits)
            let fetcher = makeFetcher(budget)
            defer { record(budget) }
            var values = Set<String>()
            var warnings: [String] = []
            let label = request.label
            let work = labelBlocks(request.start, request.end, ms)
            try await forEachBlock(work.map(\.0)) { [start = request.start, end = request.end] b -> [String] in
                let bm = LocalBlockStore.blockMatchers(ms, external: b.externalLabels) ?? []
                if b.externalLabels.has(label) { return [b.externalLabels[label]] }
                if bm.isEmpty { return b.header.values(label) }
                return try await self.matchingLabels(b, bm, start, end, fetcher: fetcher).map { $0[label] }.filter { !$0.isEmpty }
            } collect: { values.formUnion($0) } failed: { warnings.append($1) }
            var r = Thanos_LabelValuesResponse()
            r.values = values.sorted(by: bytewiseLess)
            r.warnings = warnings
            return r
        }
    }
}
