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
}
