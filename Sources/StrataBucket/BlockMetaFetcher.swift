import Foundation
import Logging
import StrataCore
import StrataObjStore
import StrataTSDB

/// Reads every block's meta.json (and markers) from the bucket, in parallel, and sorts the
/// blocks into usable, partial (no meta.json) and corrupt — the view the store gateway,
/// compactor and tools all start from (Thanos' `MetaFetcher`).
public struct BlockMetaFetcher: Sendable {
    public let bucket: any Bucket
    /// meta.json reads in flight at once (Thanos' `--block-meta-fetch-concurrency`, 32).
    public let concurrency: Int
    public let logger: Logger
    /// A local directory keeping `<ULID>/meta.json` of every block seen: meta.json never
    /// changes once uploaded, so a long-running reader (the store gateway) and its restarts
    /// fetch each one once instead of once per sync. nil: always read from the bucket.
    public let metaCacheDir: String?

    public init(bucket: any Bucket, concurrency: Int = 32, logger: Logger = Logger(label: "block.fetcher"),
                metaCacheDir: String? = nil) {
        self.bucket = bucket
        self.concurrency = max(1, concurrency)
        self.logger = logger
        self.metaCacheDir = metaCacheDir
    }

    public struct Snapshot: Sendable {
        /// Blocks with a valid meta.json, by ULID.
        public var metas: [ULID: BlockMeta] = [:]
        /// Block directories without meta.json (uploading, or an upload that died).
        public var partial: [ULID] = []
        /// Blocks whose meta.json or markers cannot be parsed, with the reason.
        public var corrupted: [ULID: String] = [:]
        public var deletionMarks: [ULID: BlockMarker] = [:]
        public var noCompactMarks: [ULID: BlockMarker] = [:]
        public var noDownsampleMarks: [ULID: BlockMarker] = [:]

        public init() {}

        /// Usable blocks sorted by (minTime, ULID).
        public var sortedMetas: [BlockMeta] {
            metas.values.sorted { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
        }

        /// Drops blocks created less than `delay` seconds ago (by their ULID time), so that a
        /// block another replica or an eventually-consistent store is still settling is not
        /// acted on (Thanos' consistency delay). Blocks written by the compactor or repair
        /// tools are exempt: their producer uploaded them completely before meta.json.
        public func consistent(delay: Foundation.TimeInterval, now: Date = Date(),
                               exempt: Set<String> = ["compactor", "bucket.repair", "compactor.repair"]) -> [BlockMeta] {
            let nowMs = Int64(now.timeIntervalSince1970 * 1000)
            return sortedMetas.filter { m in
                if let src = m.thanos?.source, exempt.contains(src) { return true }
                return nowMs - m.ulid.timestampMs >= Int64(delay * 1000)
            }
        }

        /// Blocks to serve or compact: without a deletion mark older than `delay` seconds
        /// (a freshly marked block is still served, so queries in flight keep working).
        public func visible(ignoringDeletedOlderThan delay: Foundation.TimeInterval, now: Date = Date()) -> [BlockMeta] {
            sortedMetas.filter { m in
                guard let mark = deletionMarks[m.ulid] else { return true }
                return now.timeIntervalSince1970 - Double(mark.time) < delay
            }
        }
    }

    private enum Outcome: Sendable {
        case ok(BlockMeta, deletion: BlockMarker?, noCompact: BlockMarker?, noDownsample: BlockMarker?)
        case partial(ULID)
        case corrupt(ULID, String)
    }

    /// One listing of the bucket's top level, then meta.json (unless cached) and markers of
    /// each block. `readNoCompactMarks: false` saves two GETs per block (no-compact and
    /// no-downsample marks) for readers that only care about deletion marks.
    public func fetch(readMarkers: Bool = true, readNoCompactMarks: Bool = true) async throws -> Snapshot {
        var ids: [ULID] = []
        try await bucket.iterate(prefix: "", recursive: false) { name in
            if let id = BlockLayout.blockID(fromEntry: name) { ids.append(id) }
            return true
        }
        var snap = Snapshot()
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var next = 0
            func add() {
                let id = ids[next]
                next += 1
                group.addTask { try await self.load(id, readMarkers: readMarkers, readNoCompact: readNoCompactMarks) }
            }
            while next < min(ids.count, concurrency) { add() }
            while let outcome = try await group.next() {
                switch outcome {
                case .ok(let meta, let del, let nc, let nd):
                    snap.metas[meta.ulid] = meta
                    if let del { snap.deletionMarks[meta.ulid] = del }
                    if let nc { snap.noCompactMarks[meta.ulid] = nc }
                    if let nd { snap.noDownsampleMarks[meta.ulid] = nd }
                case .partial(let id): snap.partial.append(id)
                case .corrupt(let id, let why):
                    logger.warning("block with corrupt metadata ignored", metadata: ["block": "\(id)", "err": "\(why)"])
                    snap.corrupted[id] = why
                }
                if next < ids.count { add() }
            }
        }
        snap.partial.sort()
        return snap
    }

    /// The cached meta.json of `id`, if a valid one is on disk.
    private func cachedMeta(_ id: ULID) -> BlockMeta? {
        guard let dir = metaCacheDir, let m = try? BlockMeta.read(dir: dir + "/" + id.description), m.ulid == id else { return nil }
        return m
    }

    /// Writes meta.json into the cache atomically (temp file + rename); failures only cost a
    /// re-read at the next sync, so they are logged, not thrown.
    private func cache(_ bytes: [UInt8], _ id: ULID) {
        guard let dir = metaCacheDir else { return }
        let d = dir + "/" + id.description
        do {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            let tmp = d + "/meta.json.tmp"
            try Data(bytes).write(to: URL(fileURLWithPath: tmp))
            guard rename(tmp, d + "/meta.json") == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            logger.warning("cannot cache meta.json", metadata: ["block": "\(id)", "err": "\(error)"])
        }
    }

    private func load(_ id: ULID, readMarkers: Bool, readNoCompact: Bool) async throws -> Outcome {
        let meta: BlockMeta
        if let m = cachedMeta(id) {
            meta = m
        } else {
            let bytes: [UInt8]
            do { bytes = try await bucket.getBytes(BlockLayout.metaKey(id)) } catch BucketError.notFound {
                return .partial(id)
            }
            do { meta = try BlockMeta(json: bytes, path: BlockLayout.metaKey(id)) } catch {
                return .corrupt(id, "\(error)")
            }
            guard meta.ulid == id else { return .corrupt(id, "meta.json ulid \(meta.ulid) differs from the directory") }
            cache(bytes, id)
        }
        guard readMarkers else { return .ok(meta, deletion: nil, noCompact: nil, noDownsample: nil) }
        let markers = BlockMarkers(bucket: bucket)
        do {
            return .ok(meta, deletion: try await markers.read(id, .deletion),
                       noCompact: readNoCompact ? try await markers.read(id, .noCompact) : nil,
                       noDownsample: readNoCompact ? try await markers.read(id, .noDownsample) : nil)
        } catch let e as BucketError {
            throw e
        } catch {
            return .corrupt(id, "marker: \(error)")
        }
    }
}
